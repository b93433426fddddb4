/**
 * What `rftfm scan` and `rftfm watch` say when they judge runs: verdicts.md's
 * per-run summary and per-step verdict as JSON lines, and their readable
 * forms (a report per run; a line per step).
 */
import type { Writable } from "node:stream";
import type { Kernels } from "../backend/kernel.js";

import { Monitor } from "../monitor/monitor.js";
import { isTensorSignal } from "../monitor/signals.js";
import { printable } from "../telemetry/printable.js";
import type { Diagnosis, RunSummary, Verdict } from "../verdict/types.js";
import { describeAction, describeAnomalies } from "../verdict/words.js";
import { toJsonLine, write } from "./output.js";
import type { ScannedStep, StepOutput } from "./steps.js";

export interface JudgeOptions {
  /** Fingerprint file (default: the shipped set). */
  fingerprints?: string;
  /** Judge against the set's healthy prior (default: only with a fingerprint file given). */
  prior?: boolean;
}

/**
 * A monitor for reading logs: it advises (a log cannot be acted on), and keeps
 * the summary of every run, also of runs it had to let go of (more runs than
 * it holds at once).
 */
export function logMonitor(
  kernels: Kernels,
  options: JudgeOptions,
): { monitor: Monitor; summaries: () => RunSummary[] } {
  const monitor = new Monitor({
    kernels,
    fingerprints: options.fingerprints,
    prior: options.prior,
    policy: { mode: "advise" },
    maxRuns: 4096,
  });
  return { monitor, summaries: () => monitor.runIds.map((run) => monitor.summary(run)!) };
}

function diagnosisLines(diagnosis: readonly Diagnosis[], indent: string): string[] {
  if (diagnosis.length === 0) return [`${indent}diagnosis: none`];
  const [best, ...rest] = diagnosis;
  const lines = [`${indent}diagnosis: ${best.fault} (${best.family}), confidence ${best.confidence.toFixed(2)}`];
  for (const e of best.evidence) lines.push(`${indent}  - ${printable(e)}`);
  if (rest.length)
    lines.push(
      `${indent}  also: ${rest
        .slice(0, 3)
        .map((d) => `${d.fault} ${d.confidence.toFixed(2)}`)
        .join(", ")}`,
    );
  return lines;
}

/** "32 trajectory-tensor features, correct_mean, ppo_kl": a step-only log lacks every tensor signal at once. */
function describeLacking(lacking: readonly string[]): string {
  const tensor = lacking.filter(isTensorSignal);
  const metrics = lacking.filter((name) => !isTensorSignal(name));
  const parts = [...metrics];
  if (tensor.length > 6) parts.unshift(`${tensor.length} trajectory-tensor features`);
  else parts.push(...tensor);
  return parts.join(", ");
}

/** The readable report of a run. */
export function renderRunReport(summary: RunSummary, firstAlarm?: Verdict): string {
  const lines = [
    `run ${printable(summary.run)}: ${summary.steps} steps, ` +
      (summary.alarm ? `alarm at step ${summary.first_alarm_step}` : "no alarm"),
  ];
  if (summary.alarm) {
    if (firstAlarm) lines.push(`  out of line at step ${firstAlarm.step}: ${describeAnomalies(firstAlarm.anomalies)}`);
    lines.push(...diagnosisLines(summary.diagnosis, "  "));
    lines.push(
      `  recommended actions: ${summary.actions.length ? summary.actions.map(describeAction).join("; ") : "none"}`,
    );
  }
  if (summary.lacking.length) lines.push(`  signals not logged (less power): ${describeLacking(summary.lacking)}`);
  return `${lines.join("\n")}\n`;
}

/** One readable line per step (two or more when the step raised an alarm). */
export function renderVerdictLine(v: Verdict): string {
  const run = printable(v.run);
  if (v.errors?.length) return `${run} step ${v.step}: monitor problem: ${printable(v.errors.join("; "))}\n`;
  let text = `${run} step ${v.step}: ${v.anomalous ? `ALARM ${describeAnomalies(v.anomalies)}` : "ok"}`;
  if (v.anomalous && v.diagnosis.length) {
    const best = v.diagnosis[0];
    text += `\n  diagnosis: ${best.fault} (${best.confidence.toFixed(2)})${best.evidence.length ? `: ${printable(best.evidence[0])}` : ""}`;
  }
  const actions = [...v.actions, ...(v.recommendations ?? [])];
  if (actions.length)
    text += `\n  ${v.actions.length ? "actions" : "recommended"}: ${actions.map(describeAction).join("; ")}`;
  return `${text}\n`;
}

/** A StepOutput that judges each step with `monitor` and prints its verdict (JSON line or readable line). */
export function verdictStepOutput(monitor: Monitor, out: Writable, json: boolean): StepOutput {
  return async (step: ScannedStep) => {
    const verdict = monitor.observeScanned(step, step.data.events);
    await write(out, json ? toJsonLine(verdict) : renderVerdictLine(verdict));
  };
}
