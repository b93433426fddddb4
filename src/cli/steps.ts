/**
 * How `rftfm scan` and `rftfm watch` walk the scanned steps (`outputSteps`),
 * and what they print per step with `--features`: the `--json` step line, and
 * the readable row (trajectory features, or the step's metrics when it sent no
 * trajectories). The verdict output is in verdicts.ts.
 */
import type { Writable } from "node:stream";
import type { Kernels } from "../backend/kernel.js";
import type { StepData } from "../ingest/index.js";
import { featureRecord, type StepFeatures, scanSteps, scanStream } from "../scan/scan.js";
import { toJsonLine, write } from "./output.js";
import { formatCell, renderRow, streamWidths } from "./table.js";

/** A scanned step, as the commands receive it. */
export type ScannedStep = StepFeatures<StepData>;

/** Takes each step as it is scanned. */
export type StepOutput = (step: ScannedStep) => Promise<void>;

/**
 * Scans the steps and hands each to `output`, in order: `batched` (one kernel
 * call per batch of steps, for reading files) or `live` (each step scanned and
 * handed on as it comes, for a log being written).
 */
export async function outputSteps(
  kernels: Kernels,
  steps: AsyncIterable<StepData>,
  output: StepOutput,
  pace: "batched" | "live" = "batched",
): Promise<void> {
  if (pace === "batched") {
    for await (const step of scanStream(kernels, steps)) await output(step);
    return;
  }
  for await (const step of steps) for (const scanned of scanSteps(kernels, [step])) await output(scanned);
}

/** The `--json` line of a step (`kind: "step_features"`), as a plain object. */
export function stepJson(result: ScannedStep): Record<string, unknown> {
  const { data } = result;
  return {
    kind: "step_features",
    run: data.run,
    step: data.step,
    ...(data.time !== undefined ? { time: data.time } : {}),
    ...(data.revised ? { revised: true } : {}),
    trajectories: data.trajectories?.rows ?? 0,
    ...(data.metrics ? { metrics: data.metrics } : {}),
    features: featureRecord(result),
    ...(result.groupIssue ? { group_issue: result.groupIssue } : {}),
    ...(result.promptIssue ? { prompt_issue: result.promptIssue } : {}),
  };
}

/** Writes each step's `--json` line. */
export function jsonStepOutput(out: Writable): StepOutput {
  return (step) => write(out, toJsonLine(stepJson(step)));
}

export const TRAJECTORY_HEADER = [
  "step",
  "traj",
  "reward",
  "r.std",
  "correct",
  "length",
  "len.p90",
  "trunc",
  "zero-var",
  "adv.scale",
  "entropy",
  "lp.gap",
  "tool.err",
  "format",
  "nonfinite",
];

/** The readable row of a step with a trajectory tensor: its headline features. */
export function trajectoryRow(result: ScannedStep): string[] {
  const f = featureRecord(result);
  let nonfinite = 0;
  for (const [name, value] of Object.entries(f)) if (name.endsWith(".nonfinite")) nonfinite += value;
  const cell = (name: string) => formatCell(f[name]);
  return [
    String(result.data.step),
    cell("rows"),
    cell("reward.mean"),
    cell("reward.std"),
    cell("correct.mean"),
    cell("length.mean"),
    cell("length.p90"),
    cell("rate.truncation"),
    cell("group.zero_var_share"),
    cell("group.adv_scale_mean"),
    cell("entropy_mean.mean"),
    cell("logprob_gap.mean"),
    cell("rate.tool_error"),
    cell("rate.format"),
    String(nonfinite),
  ];
}

/** How many metrics a readable row of a step without trajectories shows. */
export const METRIC_COLUMNS = 10;

/** The readable row of a step without a trajectory tensor: its metrics under `names`. */
export function metricsRow(
  step: number,
  metrics: Readonly<Record<string, number>>,
  names: readonly string[],
): string[] {
  return [String(step), ...names.map((name) => formatCell(metrics[name]))];
}

/** The narrowest column of a row printed as it goes: wide enough for most numbers. */
const STREAM_CELL = 9;

/**
 * Writes each step's readable row as it comes (what `scan` collects into
 * tables): under a header printed at a run's first step of each kind, the
 * metric columns fixed by that first step. A step emitted again is marked.
 */
export function rowStepOutput(out: Writable, backend: string): StepOutput {
  const runs = new Map<string, { tensor?: number[]; metrics?: { names: string[]; widths: number[] } }>();
  return async (result) => {
    const { data } = result;
    let run = runs.get(data.run);
    if (!run) {
      run = {};
      runs.set(data.run, run);
    }
    const mark = data.revised ? "  (revised: replaces the earlier row)" : "";
    let text = "";
    if (result.features) {
      if (!run.tensor) {
        run.tensor = streamWidths(TRAJECTORY_HEADER, STREAM_CELL);
        text += `run ${data.run} (backend: ${backend})\n${renderRow(TRAJECTORY_HEADER, run.tensor)}\n`;
      }
      text += `${renderRow(trajectoryRow(result), run.tensor) + mark}\n`;
    } else if (data.metrics) {
      if (!run.metrics) {
        const header = ["step", ...Object.keys(data.metrics).slice(0, METRIC_COLUMNS)];
        run.metrics = { names: header.slice(1), widths: streamWidths(header, STREAM_CELL) };
        text += `run ${data.run}: steps without a trajectory tensor\n${renderRow(header, run.metrics.widths)}\n`;
      }
      text += `${renderRow(metricsRow(data.step, data.metrics, run.metrics.names), run.metrics.widths) + mark}\n`;
    }
    if (text) await write(out, text);
  };
}
