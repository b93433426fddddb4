import type { Writable } from "node:stream";
import type { Kernels } from "../backend/kernel.js";
import { featureRecord, scanStream, type StepFeatures } from "../scan/scan.js";
import { readTelemetry, type StepData } from "../telemetry/index.js";
import { write, toJsonLine } from "./output.js";
import { formatNumber, renderTable } from "./table.js";

export interface ScanCommandOptions {
  json?: boolean;
  /** Exit with status 1 when any input line was skipped. */
  strict?: boolean;
}

export interface Io {
  out: Writable;
  err: Writable;
}

/** Per-step summary cells kept for the readable table (the full rows are not kept). */
type Row = string[];

interface RunTable {
  steps: number;
  tensorRows: Row[];
  metricRows: { step: number; metrics: Record<string, number> }[];
}

const TRAJECTORY_HEADER = [
  "step", "traj", "reward", "r.std", "correct", "length", "len.p90", "trunc", "zero-var",
  "adv.scale", "entropy", "lp.gap", "tool.err", "format", "nonfinite",
];

function trajectoryRow(result: StepFeatures<StepData>): Row {
  const f = featureRecord(result);
  let nonfinite = 0;
  for (const [name, value] of Object.entries(f)) if (name.endsWith(".nonfinite")) nonfinite += value;
  const cell = (name: string) => formatNumber(f[name]);
  return [
    String(result.data.step), cell("rows"), cell("reward.mean"), cell("reward.std"), cell("correct.mean"),
    cell("length.mean"), cell("length.p90"), cell("rate.truncation"), cell("group.zero_var_share"),
    cell("group.adv_scale_mean"), cell("entropy_mean.mean"), cell("logprob_gap.mean"), cell("rate.tool_error"),
    cell("rate.format"), String(nonfinite),
  ];
}

function metricsTable(rows: RunTable["metricRows"]): string {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].slice(0, 10);
  return renderTable(
    ["step", ...names],
    rows.map((r) => [String(r.step), ...names.map((n) => formatNumber(r.metrics[n]))]),
  );
}

/** `rftfm scan`: reads telemetry, scans every step's trajectory tensor, prints features. Returns the exit status. */
export async function runScan(kernels: Kernels, files: string[], options: ScanCommandOptions, io: Io): Promise<number> {
  const { steps, report } = readTelemetry(files);
  const runs = new Map<string, RunTable>();
  for await (const result of scanStream(kernels, steps)) {
    const { data } = result;
    if (options.json) {
      await write(
        io.out,
        toJsonLine({
          kind: "step_features",
          run: data.run,
          step: data.step,
          ...(data.time !== undefined ? { time: data.time } : {}),
          trajectories: data.trajectories?.rows ?? 0,
          ...(data.metrics ? { metrics: data.metrics } : {}),
          features: featureRecord(result),
          ...(result.groupIssue ? { group_issue: result.groupIssue } : {}),
        }),
      );
    }
    let run = runs.get(data.run);
    if (!run) runs.set(data.run, (run = { steps: 0, tensorRows: [], metricRows: [] }));
    run.steps++;
    if (options.json) continue;
    if (result.features) run.tensorRows.push(trajectoryRow(result));
    else if (data.metrics) run.metricRows.push({ step: data.step, metrics: data.metrics });
  }

  if (options.json) {
    for (const [run, table] of runs) await write(io.out, toJsonLine({ kind: "run", run, steps: table.steps }));
    await write(io.out, toJsonLine({ kind: "ingest", ...report.toJSON() }));
    if (report.skipped > 0) await write(io.err, report.summary() + "\n");
  } else {
    for (const [run, table] of runs) {
      let text = `run ${run}: ${table.steps} steps (backend: ${kernels.name})\n`;
      if (table.tensorRows.length) text += renderTable(TRAJECTORY_HEADER, table.tensorRows) + "\n";
      if (table.metricRows.length) text += `steps without a trajectory tensor:\n${metricsTable(table.metricRows)}\n`;
      await write(io.out, text + "\n");
    }
    await write(io.out, report.summary() + "\n");
  }
  return options.strict && report.skipped > 0 ? 1 : 0;
}
