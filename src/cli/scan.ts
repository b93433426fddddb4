import type { Writable } from "node:stream";
import type { Command } from "commander";
import type { Kernels } from "../backend/kernel.js";
import { readTelemetry } from "../ingest/index.js";
import { printable } from "../telemetry/printable.js";
import type { RunSummary, Verdict } from "../verdict/types.js";
import { type AlertCommandOptions, addAlertOptions, commandAlerts } from "./alert-options.js";
import type { CliContext } from "./command.js";
import { addFailOnOptions, type FailOnOptions, failureReasons } from "./fail-on.js";
import { toJsonLine, write } from "./output.js";
import { addReadOptions, formatsHelp, type ReadCommandOptions, readOptions } from "./read-options.js";
import { jsonStepOutput, METRIC_COLUMNS, metricsRow, outputSteps, TRAJECTORY_HEADER, trajectoryRow } from "./steps.js";
import { type ColorTarget, paintFor } from "./style.js";
import { renderTable } from "./table.js";
import { LOG_MONITOR_RUNS, logMonitor, renderRunReport } from "./verdicts.js";

export interface ScanCommandOptions extends ReadCommandOptions, AlertCommandOptions, FailOnOptions {
  json?: boolean;
  /** Print the scanner's per-step trajectory features instead of judging the runs. */
  features?: boolean;
  /** Fingerprint file for the monitor (default: the shipped set). */
  fingerprints?: string;
  /** Use the set's healthy prior (default: only with a fingerprint file). */
  prior?: boolean;
  /** Calibration file of the runs' setup (`rftfm calibrate`). */
  calibration?: string;
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
    ["step", ...names.map(printable)], // names come from the input
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
  const { monitor, summaries, evictions } = logMonitor(kernels, options);
  const firstAlarms = new Map<string, Verdict>();
  const alerts = commandAlerts(options, io.err);
  let judged: RunSummary[] = [];
  const paint = paintFor(io.out as ColorTarget);
  try {
    await outputSteps(kernels, steps, async (step) => {
      const verdict = monitor.observeScanned(step, step.data.events);
      alerts?.observe(verdict);
      if (verdict.anomalous && !firstAlarms.has(verdict.run)) firstAlarms.set(verdict.run, verdict);
    });
    judged = summaries();
    for (const summary of judged) {
      await write(
        io.out,
        options.json ? toJsonLine(summary) : renderRunReport(summary, firstAlarms.get(summary.run), paint),
      );
    }
  } finally {
    monitor.close();
    await alerts?.finish();
  }
  // The JSON lines are run summaries only (verdicts.md); the ingest report goes to stderr.
  if (options.json) {
    if (report.problemCount > 0) await write(io.err, `${report.summary()}\n`);
  } else {
    const letGo =
      evictions() > 0
        ? `${evictions()} times a run was let go of to make room (more than ${LOG_MONITOR_RUNS} runs at once): its summary is kept; a run seen again started its baselines over\n`
        : "";
    await write(io.out, `(backend: ${kernels.name})\n${letGo}${report.summary()}\n`);
  }
  return exitStatus(failureReasons(options, report, judged), io);
}

/** 0 when nothing failed; else 1, after a line on stderr that says why. */
export async function exitStatus(reasons: string[], io: Io): Promise<number> {
  if (reasons.length === 0) return 0;
  await write(io.err, `rftfm: failing (exit status 1): ${reasons.join("; ")}\n`);
  return 1;
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
      let text = `run ${printable(run)}: ${table.steps.size} steps (backend: ${kernels.name})\n`;
      if (table.tensorRows.size) text += `${tensorTable(table.tensorRows)}\n`;
      if (table.metricRows.size) text += `steps without a trajectory tensor:\n${metricsTable(table.metricRows)}\n`;
      await write(io.out, `${text}\n`);
    }
    await write(io.out, `${report.summary()}\n`);
  }
  return exitStatus(failureReasons({ ...options, failOn: options.failOn?.filter((c) => c === "ingest") }, report), io);
}

/** `rftfm scan FILES...`. */
export function registerScan(program: Command, context: CliContext): void {
  const command = addReadOptions(
    program
      .command("scan")
      .description(
        "Judge runs from their telemetry: the monitor watches every step (step metrics and trajectory-tensor " +
          "features) and prints, per run, whether and when it raised an alarm, the diagnosis with its evidence and the " +
          "actions it recommends (with --features: each step's trajectory features instead). Reads rftfm's JSONL records and the logs trainers already write (TRL, verl, OpenRLHF, " +
          "ms-swift, W&B exports, Arrow and Parquet tables); the format is detected from each file's content. " +
          "What could not be used is skipped, counted and listed with file:line at the end.",
      )
      .argument(
        "<files...>",
        "telemetry files (gzip is detected), directories (every file in them, in natural order), or - for standard input",
      ),
  )
    .option(
      "--json",
      "print one JSON line per run: the run summary of verdicts.md (run, steps, alarm, first_alarm_step, diagnosis, actions)",
    )
    .option(
      "--features",
      "print the scanner's per-step features instead: per-column statistics, per-group reward and advantage statistics, " +
        "correlations and rates (or the step's metrics when it sent no trajectories); with --json one line per step " +
        "(kind step_features), one per run (kind run), then the ingest report (kind ingest)",
    )
    .option(
      "--fingerprints <file>",
      "fingerprint set for the monitor (default: the shipped one; see rftfm fingerprints learn)",
    )
    .option(
      "--prior",
      "also judge each step against the fingerprint set's healthy runs at the same point of training (catches faults present from step 0; only for runs of the setup the set was learnt on; default: on with --fingerprints, off with the shipped set)",
    )
    .option("--no-prior", "do not use the healthy prior")
    .option(
      "--calibration <file>",
      "judge against this setup's healthy runs (rftfm calibrate: its prior, per step number), prior on; for runs of that setup",
    );
  addAlertOptions(addFailOnOptions(command).addOption(context.backendOption))
    .addHelpText(
      "after",
      formatsHelp() +
        "\nExamples:\n  rftfm scan examples/small-run.jsonl\n  rftfm scan runs/*.jsonl.gz --json > summaries.jsonl\n" +
        "  rftfm scan runs/ --alert-webhook https://hooks.slack.com/services/... --alert-format slack\n" +
        "  rftfm scan run.jsonl --features --json > features.jsonl\n" +
        "  rftfm scan verl-train.log outputs/completions/\n  trainer | rftfm scan - --json",
    )
    .action(async (files: string[], options: ScanCommandOptions & { backend?: string }) => {
      process.exitCode = await runScan(context.kernelsFor(options.backend), files, options, {
        out: process.stdout,
        err: process.stderr,
      });
    });
}
