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
import { type Paint, PLAIN, paintFor } from "./style.js";
import { HELD_SUMMARIES, SummarySpill } from "./summary-spill.js";

export interface JudgeOptions {
  /** Fingerprint file (default: the shipped set). */
  fingerprints?: string;
  /** Judge against the set's healthy prior (default: only with a fingerprint file given). */
  prior?: boolean;
  /** Calibration file of the runs' setup (`rftfm calibrate`): its prior, on. */
  calibration?: string;
}

/** Distinct `lacking` lists held once among the evicted runs' summaries. */
const MAX_SHARED_LISTS = 1024;
const NO_DIAGNOSIS: RunSummary["diagnosis"] = [];
const NO_ACTIONS: RunSummary["actions"] = [];

/** Runs a log monitor holds at once; a run beyond them evicts the least recently seen one. */
export const LOG_MONITOR_RUNS = 4096;

/** A log monitor (see `logMonitor`) and the summaries of its runs. */
export interface LogMonitor {
  monitor: Monitor;
  /**
   * Every run's summary, each run once, streamed (read after the last step, before
   * `monitor.close()`; once). Order: see summary-spill.ts.
   */
  summaries: () => AsyncGenerator<RunSummary>;
  /** Times a run was let go of to make room. */
  evictions: () => number;
  /** Chunks of evicted runs' summaries written to a temporary file (0: all held in memory). */
  spilledChunks: () => number;
  /** Why evicted runs' summaries are held in memory past the bound (a chunk could not be written), if one failed. */
  spillFailure: () => string | undefined;
  /** Closes the monitor and removes the temporary files (idempotent). */
  close: () => void;
}

/**
 * A monitor for reading logs: it advises (a log cannot be acted on), and keeps
 * the summary of every run, also of runs it had to let go of (more runs than
 * it holds at once): an evicted run's summary is handed over as it leaves, and
 * joined with what the run's later steps (if any) found. Past `maxHeldSummaries`
 * evicted summaries, they go to temporary files (summary-spill.ts), so memory
 * does not grow with the number of runs.
 */
export function logMonitor(
  kernels: Kernels,
  options: JudgeOptions,
  maxRuns = LOG_MONITOR_RUNS,
  maxHeldSummaries = HELD_SUMMARIES,
): LogMonitor {
  const evicted = new SummarySpill(joinSummaries, maxHeldSummaries);
  let evictions = 0;
  const monitor = new Monitor({
    kernels,
    fingerprints: options.fingerprints,
    prior: options.prior,
    calibration: options.calibration,
    policy: { mode: "advise" },
    maxRuns,
    onEvict: (summary) => {
      evictions++;
      evicted.add(compact(summary));
    },
  });
  // The summaries held of evicted runs are most of what a scan of many runs holds: the lists
  // they share (the signals a log never reports, the same for every run of a log; an empty diagnosis) are held once.
  const shared = new Map<string, string[]>();
  const compact = (summary: RunSummary): RunSummary => {
    const key = summary.lacking.join("\n");
    let lacking = shared.get(key);
    if (!lacking && shared.size < MAX_SHARED_LISTS) {
      lacking = summary.lacking;
      shared.set(key, lacking);
    }
    return {
      ...summary,
      lacking: lacking ?? summary.lacking,
      diagnosis: summary.diagnosis.length === 0 ? NO_DIAGNOSIS : summary.diagnosis,
      actions: summary.actions.length === 0 ? NO_ACTIONS : summary.actions,
    };
  };
  const summaries = () => {
    // The runs still held are read now, while the monitor is open; they are at most `maxRuns`.
    const held: RunSummary[] = [];
    for (const run of monitor.runIds) {
      const summary = monitor.summary(run);
      if (summary) held.push(summary);
    }
    return evicted.drain(held);
  };
  const close = () => {
    monitor.close();
    evicted.close();
  };
  return {
    monitor,
    summaries,
    evictions: () => evictions,
    spilledChunks: () => evicted.spilledChunks,
    spillFailure: () => evicted.failure,
    close,
  };
}

/**
 * One summary for a run the monitor let go of and saw again: its steps add up, the
 * first alarm (and the diagnosis and actions it came with) is the earlier one, and a
 * signal is lacking only when neither part reported it.
 */
export function joinSummaries(earlier: RunSummary, later: RunSummary): RunSummary {
  const first = earlier.alarm ? earlier : later;
  const laterLacking = new Set(later.lacking);
  return {
    run: earlier.run,
    steps: earlier.steps + later.steps,
    alarm: earlier.alarm || later.alarm,
    first_alarm_step: first.first_alarm_step,
    diagnosis: first.diagnosis,
    actions: first.actions,
    lacking: earlier.lacking.filter((name) => laterLacking.has(name)),
  };
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
export function renderRunReport(summary: RunSummary, firstAlarm?: Verdict, paint: Paint = PLAIN): string {
  const lines = [
    `run ${printable(summary.run)}: ${summary.steps} steps, ` +
      (summary.alarm ? paint.alarm(`alarm at step ${summary.first_alarm_step}`) : paint.ok("no alarm")),
  ];
  if (summary.alarm) {
    if (firstAlarm)
      lines.push(`  out of line at step ${firstAlarm.step}: ${printable(describeAnomalies(firstAlarm.anomalies))}`);
    lines.push(...diagnosisLines(summary.diagnosis, "  "));
    lines.push(
      `  recommended actions: ${summary.actions.length ? summary.actions.map(describeAction).join("; ") : "none"}`,
    );
  }
  if (summary.lacking.length) lines.push(`  signals not logged (less power): ${describeLacking(summary.lacking)}`);
  return `${lines.join("\n")}\n`;
}

/** One readable line per step (two or more when the step raised an alarm). */
export function renderVerdictLine(v: Verdict, paint: Paint = PLAIN): string {
  const run = printable(v.run);
  if (v.errors?.length)
    return `${run} step ${v.step}: ${paint.alarm("monitor problem")}: ${printable(v.errors.join("; "))}\n`;
  let text = `${run} step ${v.step}: ${v.anomalous ? `${paint.alarm("ALARM")} ${printable(describeAnomalies(v.anomalies))}` : paint.ok("ok")}`;
  if (v.anomalous && v.diagnosis.length) {
    const best = v.diagnosis[0];
    text += `\n  diagnosis: ${best.fault} (${best.confidence.toFixed(2)})${best.evidence.length ? `: ${printable(best.evidence[0])}` : ""}`;
  }
  const actions = [...v.actions, ...(v.recommendations ?? [])];
  if (actions.length)
    text += `\n  ${v.actions.length ? "actions" : "recommended"}: ${actions.map(describeAction).join("; ")}`;
  return `${text}\n`;
}

/**
 * A StepOutput that judges each step with `monitor` and prints its verdict
 * (JSON line or readable line), handing step and verdict to `onVerdict` first
 * (alerts, a live report).
 */
export function verdictStepOutput(
  monitor: Monitor,
  out: Writable,
  json: boolean,
  onVerdict?: (step: ScannedStep, verdict: Verdict) => void,
): StepOutput {
  const paint = paintFor(out as Writable & { isTTY?: boolean; hasColors?: () => boolean });
  return async (step: ScannedStep) => {
    const verdict = monitor.observeScanned(step, step.data.events);
    onVerdict?.(step, verdict);
    await write(out, json ? toJsonLine(verdict) : renderVerdictLine(verdict, paint));
  };
}
