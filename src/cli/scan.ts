import type { Writable } from "node:stream";
import type { Kernels } from "../backend/kernel.js";
import { readTelemetry } from "../ingest/index.js";
import type { Verdict } from "../verdict/types.js";
import { toJsonLine, write } from "./output.js";
import { type ReadCommandOptions, readOptions } from "./read-options.js";
import { jsonStepOutput, METRIC_COLUMNS, metricsRow, outputSteps, TRAJECTORY_HEADER, trajectoryRow } from "./steps.js";
import { renderTable } from "./table.js";
import { logMonitor, renderRunReport } from "./verdicts.js";

export interface ScanCommandOptions extends ReadCommandOptions {
  json?: boolean;
  /** Print the scanner's per-step trajectory features instead of judging the runs. */
  features?: boolean;
  /** Fingerprint file for the monitor (default: the shipped set). */
  fingerprints?: string;
  /** Use the set's healthy prior (default: only with a fingerprint file). */
  prior?: boolean;
  /** Exit with status 1 when the ingest report lists any problem. */
  strict?: boolean;
}

export interface Io {
  out: Writable;
  err: Writable;
}

/** Per run, the readable rows by step: a step emitted again (later record wins) replaces its row. */
interface RunTable {
  tensorRows: Map<number, string[]>;
  metricRows: Map<number, Record<string, number>>;
  /** Distinct steps seen. */
  steps: Set<number>;
}

function metricsTable(rows: RunTable["metricRows"]): string {
  const sorted = [...rows].sort(([a], [b]) => a - b);
  const names = [...new Set(sorted.flatMap(([, metrics]) => Object.keys(metrics)))].slice(0, METRIC_COLUMNS);
  return renderTable(
    ["step", ...names],
    sorted.map(([step, metrics]) => metricsRow(step, metrics, names)),
  );
}

function tensorTable(rows: RunTable["tensorRows"]): string {
  return renderTable(
    TRAJECTORY_HEADER,
    [...rows].sort(([a], [b]) => a - b).map(([, row]) => row),
  );
}

/**
 * `rftfm scan`: reads telemetry and judges every run with the monitor (per-run
 * summaries of verdicts.md), or with `features` prints the scanner's per-step
 * features. Returns the exit status.
 */
export async function runScan(kernels: Kernels, files: string[], options: ScanCommandOptions, io: Io): Promise<number> {
  return options.features ? printFeatures(kernels, files, options, io) : judgeRuns(kernels, files, options, io);
}

/** The monitor over every step; then one summary per run (JSON line or readable report), and the ingest report. */
async function judgeRuns(kernels: Kernels, files: string[], options: ScanCommandOptions, io: Io): Promise<number> {
  const { steps, report } = readTelemetry(files, readOptions(options));
  const { monitor, summaries } = logMonitor(kernels, options);
  const firstAlarms = new Map<string, Verdict>();
  try {
    await outputSteps(kernels, steps, async (step) => {
      const verdict = monitor.observeScanned(step, step.data.events);
      if (verdict.anomalous && !firstAlarms.has(verdict.run)) firstAlarms.set(verdict.run, verdict);
    });
    for (const summary of summaries()) {
      await write(io.out, options.json ? toJsonLine(summary) : renderRunReport(summary, firstAlarms.get(summary.run)));
    }
  } finally {
    monitor.close();
  }
  // The JSON lines are run summaries only (verdicts.md); the ingest report goes to stderr.
  if (options.json) {
    if (report.problemCount > 0) await write(io.err, `${report.summary()}\n`);
  } else {
    await write(io.out, `(backend: ${kernels.name})\n${report.summary()}\n`);
  }
  return options.strict && report.problemCount > 0 ? 1 : 0;
}

/** The scanner's per-step features (`--features`). */
async function printFeatures(kernels: Kernels, files: string[], options: ScanCommandOptions, io: Io): Promise<number> {
  const { steps, report } = readTelemetry(files, readOptions(options));
  const runs = new Map<string, RunTable>();
  const json = options.json ? jsonStepOutput(io.out) : undefined;
  await outputSteps(kernels, steps, async (result) => {
    const { data } = result;
    let run = runs.get(data.run);
    if (!run) {
      run = { tensorRows: new Map(), metricRows: new Map(), steps: new Set() };
      runs.set(data.run, run);
    }
    run.steps.add(data.step);
    if (json) return json(result);
    if (result.features) run.tensorRows.set(data.step, trajectoryRow(result));
    else if (data.metrics) run.metricRows.set(data.step, data.metrics);
  });

  if (options.json) {
    for (const [run, table] of runs) await write(io.out, toJsonLine({ kind: "run", run, steps: table.steps.size }));
    await write(io.out, toJsonLine({ kind: "ingest", ...report.toJSON() }));
    if (report.problemCount > 0) await write(io.err, `${report.summary()}\n`);
  } else {
    for (const [run, table] of runs) {
      let text = `run ${run}: ${table.steps.size} steps (backend: ${kernels.name})\n`;
      if (table.tensorRows.size) text += `${tensorTable(table.tensorRows)}\n`;
      if (table.metricRows.size) text += `steps without a trajectory tensor:\n${metricsTable(table.metricRows)}\n`;
      await write(io.out, `${text}\n`);
    }
    await write(io.out, `${report.summary()}\n`);
  }
  return options.strict && report.problemCount > 0 ? 1 : 0;
}
