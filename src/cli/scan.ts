import type { Writable } from "node:stream";
import type { Command } from "commander";
import type { Kernels } from "../backend/kernel.js";
import { readTelemetry } from "../ingest/index.js";
import type { Verdict } from "../verdict/types.js";
import { type AlertCommandOptions, addAlertOptions, commandAlerts } from "./alert-options.js";
import type { CliContext } from "./command.js";
import { addFailOnOptions, type FailOnOptions, failureReasons, RunTally } from "./fail-on.js";
import { FeatureTables } from "./feature-tables.js";
import { toJsonLine, write } from "./output.js";
import { addReadOptions, formatsHelp, type ReadCommandOptions, readOptions } from "./read-options.js";
import { jsonStepOutput, outputSteps } from "./steps.js";
import { type ColorTarget, paintFor } from "./style.js";
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
  /** `--features`, readable: rows held at most before the tables are printed in parts (feature-tables.ts). */
  maxHeldRows?: number;
}

export interface Io {
  out: Writable;
  err: Writable;
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
  const { monitor, summaries, evictions, spillFailure, close } = logMonitor(kernels, options);
  const firstAlarms = new Map<string, Verdict>();
  const alerts = commandAlerts(options, io.err);
  const judged = new RunTally();
  const paint = paintFor(io.out as ColorTarget);
  try {
    await outputSteps(kernels, steps, async (step) => {
      const verdict = monitor.observeScanned(step, step.data.events);
      alerts?.observe(verdict);
      if (verdict.anomalous && !firstAlarms.has(verdict.run)) firstAlarms.set(verdict.run, verdict);
    });
    for await (const summary of summaries()) {
      judged.add(summary);
      await write(
        io.out,
        options.json ? toJsonLine(summary) : renderRunReport(summary, firstAlarms.get(summary.run), paint),
      );
    }
    const failure = spillFailure();
    if (failure) await write(io.err, `rftfm scan: ${failure}\n`);
  } finally {
    close();
    await alerts?.finish();
  }
  // The JSON lines are run summaries only (verdicts.md); the ingest report goes to stderr.
  if (options.json) {
    if (report.problemCount > 0 || report.boundReached) await write(io.err, `${report.summary()}\n`);
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

/**
 * The scanner's per-step features (`--features`), written as they are produced:
 * with `--json` a line per step, then per run its count of distinct steps;
 * readable, the tables of feature-tables.ts (held up to `maxHeldRows` rows, then
 * printed in parts). Memory does not grow with the number of steps.
 */
async function printFeatures(kernels: Kernels, files: string[], options: ScanCommandOptions, io: Io): Promise<number> {
  const { steps, report } = readTelemetry(files, readOptions(options));
  /** Per run, its distinct steps: a revised step is one emitted before. */
  const stepCounts = new Map<string, number>();
  const json = options.json ? jsonStepOutput(io.out) : undefined;
  const tables = json ? undefined : new FeatureTables(io.out, kernels.name, options.maxHeldRows);
  await outputSteps(kernels, steps, async (result) => {
    const { data } = result;
    stepCounts.set(data.run, (stepCounts.get(data.run) ?? 0) + (data.revised ? 0 : 1));
    await (json ? json(result) : tables!.add(result));
  });

  if (options.json) {
    for (const [run, steps] of stepCounts) await write(io.out, toJsonLine({ kind: "run", run, steps }));
    await write(io.out, toJsonLine({ kind: "ingest", ...report.toJSON() }));
    if (report.problemCount > 0 || report.boundReached) await write(io.err, `${report.summary()}\n`);
  } else {
    await tables!.finish();
    const parted =
      tables!.parts > 0
        ? `the tables were printed in parts (${tables!.parts} before the end), holding at most ${tables!.maxHeldRows} rows at once: a run's later part may revise a step of an earlier one\n`
        : "";
    await write(io.out, `${parted}${report.summary()}\n`);
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
