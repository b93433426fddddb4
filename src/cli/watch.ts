/**
 * `rftfm watch FILE`: follows a growing log (any format `scan` reads), judges
 * each step with the monitor as it completes and prints its verdict (a
 * readable line, or with `--json` the per-step verdict of verdicts.md); with
 * `--features`, each step's trajectory features as `scan --features` prints
 * them. Ends on SIGINT or SIGTERM, after `--idle-exit`
 * seconds without new data, or at the end of what is there with `--once`; then
 * prints the steps still open and the ingest report.
 */
import { existsSync } from "node:fs";
import type { Command } from "commander";
import type { Kernels } from "../backend/kernel.js";
import { watchTelemetry } from "../ingest/watch.js";
import { type AlertCommandOptions, addAlertOptions, commandAlerts } from "./alert-options.js";
import type { CliContext } from "./command.js";
import { addFailOnOptions, type FailOnOptions, failureReasons, RunTally } from "./fail-on.js";
import { numberArg } from "./number-arg.js";
import { toJsonLine, write } from "./output.js";
import { addReadOptions, formatsHelp, type ReadCommandOptions, readOptions } from "./read-options.js";
import { ReportWriter } from "./report.js";
import { exitStatus, type Io } from "./scan.js";
import { jsonStepOutput, outputSteps, rowStepOutput } from "./steps.js";
import { type ColorTarget, paintFor } from "./style.js";
import { logMonitor, renderRunReport, verdictStepOutput } from "./verdicts.js";

export interface WatchCommandOptions extends ReadCommandOptions, AlertCommandOptions, FailOnOptions {
  /** Keep this HTML report up to date as the run goes. */
  report?: string;
  /** Seconds between rewrites of the report (an alarm rewrites it at once). */
  reportEvery?: number;
  json?: boolean;
  features?: boolean;
  fingerprints?: string;
  prior?: boolean;
  /** Calibration file of the runs' setup (`rftfm calibrate`). */
  calibration?: string;
  /** Milliseconds between looks at the file. */
  poll?: number;
  /** Seconds of quiet after which the newest step is printed. */
  settle?: number;
  /** Stop after this many seconds without new data. */
  idleExit?: number;
  /** Read what the file holds and stop. */
  once?: boolean;
}

/** Follows `file` until `signal` aborts (or the options end it). Returns the exit status. */
export async function runWatch(
  kernels: Kernels,
  file: string,
  options: WatchCommandOptions,
  io: Io,
  signal?: AbortSignal,
): Promise<number> {
  const exitAfterSeconds = options.once ? 0 : options.idleExit;
  // As `tail -F` does: say so when the file is not there (yet), rather than wait in silence.
  const absentAtStart = !existsSync(file);
  if (absentAtStart) await write(io.err, `rftfm watch: ${file} does not exist (yet); waiting for it to appear\n`);
  const { steps, report } = watchTelemetry(file, {
    ...readOptions(options),
    pollMs: options.poll,
    settleMs: options.settle === undefined ? undefined : options.settle * 1000,
    exitAfterMs: exitAfterSeconds === undefined ? undefined : exitAfterSeconds * 1000,
    signal,
  });
  if (options.features && (options.report || options.alertWebhook)) {
    await write(io.err, "rftfm watch: --report and --alert-webhook need verdicts: leave out --features\n");
    return 2;
  }
  const judge = options.features ? undefined : logMonitor(kernels, options);
  const alerts = judge && commandAlerts(options, io.err);
  const live =
    judge && options.report
      ? new ReportWriter(
          judge.monitor,
          { path: options.report, sources: [file], backend: kernels.name, format: "html" },
          undefined,
          (options.reportEvery ?? DEFAULT_REPORT_EVERY) * 1000,
        )
      : undefined;
  const output = judge
    ? verdictStepOutput(judge.monitor, io.out, options.json === true, (step, verdict) => {
        alerts?.observe(verdict);
        try {
          live?.observe(step, verdict);
        } catch (error) {
          // A report that cannot be written (disk full, directory gone) must not stop the watching.
          io.err.write(`rftfm watch: cannot write the report ${options.report}: ${(error as Error).message}\n`);
        }
      })
    : options.json
      ? jsonStepOutput(io.out)
      : rowStepOutput(io.out, kernels.name);
  const judged = new RunTally();
  try {
    // A live log's steps are printed as they come, not once a batch of them fills.
    await outputSteps(kernels, steps, output, "live");
    if (judge) {
      const paint = paintFor(io.out as ColorTarget);
      for await (const summary of judge.summaries()) {
        judged.add(summary);
        if (!options.json) await write(io.out, `\n${renderRunReport(summary, undefined, paint)}`);
      }
      const failure = judge.spillFailure();
      if (failure) await write(io.err, `rftfm watch: ${failure}\n`);
    }
    if (live) {
      live.write(report.summary());
      await write(options.json ? io.err : io.out, `\nreport: ${options.report}\n`);
    }
  } finally {
    judge?.close();
    await alerts?.finish();
  }
  // A file that never appeared (or went away unread) is a source not read: the report says so, not "no problems".
  const missing =
    report.lines === 0 && !existsSync(file)
      ? `${absentAtStart ? "never appeared" : "was removed"}: nothing was read`
      : "";
  if (missing) report.addProblem({ source: file, line: 0, reason: missing }, "source");
  if (options.json) {
    await write(io.out, toJsonLine({ kind: "ingest", ...report.toJSON() }));
    if (report.problemCount > 0 || report.boundReached) await write(io.err, `${report.summary()}\n`);
  } else {
    await write(io.out, `\n${report.summary()}\n`);
  }
  const reasons = failureReasons(options, report, judged, false);
  if (missing) reasons.unshift(`${file} ${missing}`);
  return exitStatus(reasons, io);
}

/** Seconds between rewrites of a live report. */
const DEFAULT_REPORT_EVERY = 5;

const seconds = numberArg({ min: 0, expected: "a number of seconds, 0 or more" });
const milliseconds = numberArg({ min: 1, expected: "a number of milliseconds, 1 or more" });

/** Adds `watch` to the program. */
export function registerWatch(program: Command, { backendOption, kernelsFor }: CliContext): void {
  const command = addReadOptions(
    program
      .command("watch")
      .description(
        "Follow a growing log, like tail -f, judge each step with the monitor as it completes and print its verdict: " +
          "ok, or the alarm with the signals out of line, the diagnosis and the recommended actions (with --json the " +
          "per-step verdict of verdicts.md; with --features the step's trajectory features instead, as scan --features). " +
          "A step is printed when the log moves on to the next one, or when the log has been quiet for " +
          "--settle seconds. Stops on Ctrl-C (SIGINT), then prints each run's summary and the ingest report.",
      )
      .argument("<file>", "the log to follow (any format scan reads; it may not exist yet)"),
  )
    .option("--json", "print JSON lines: one verdict per step (verdicts.md), then the ingest report (kind ingest)")
    .option("--features", "print each step's trajectory features instead of its verdict (as scan --features)")
    .option("--fingerprints <file>", "fingerprint set for the monitor (default: the shipped one)")
    .option(
      "--prior",
      "also judge each step against the fingerprint set's healthy runs at the same point of training (catches faults present from step 0; only for runs of the setup the set was learnt on; default: on with --fingerprints, off with the shipped set)",
    )
    .option("--no-prior", "do not use the healthy prior")
    .option(
      "--calibration <file>",
      "judge against this setup's healthy runs (rftfm calibrate: its prior, per step number), prior on; for runs of that setup",
    )
    .option("--poll <ms>", "how often to look for new data, in milliseconds (default 250)", milliseconds)
    .option("--settle <seconds>", "print the newest step once the log has been quiet this long (default 2)", seconds)
    .option("--idle-exit <seconds>", "stop after this many seconds without new data", seconds)
    .option("--once", "read what the file holds now, print it, and stop")
    .option(
      "--report <file>",
      "keep a self-contained HTML report (as rftfm report writes) up to date in this file as the run goes",
    )
    .option(
      "--report-every <seconds>",
      `rewrite the report at most this often (default ${DEFAULT_REPORT_EVERY}; an alarm rewrites it at once)`,
      seconds,
    );
  addAlertOptions(addFailOnOptions(command).addOption(backendOption))
    .addHelpText(
      "after",
      formatsHelp() +
        "\nExamples:\n  rftfm watch train.log\n  rftfm watch metrics.jsonl --json | my-alerting\n" +
        "  rftfm watch train.log --idle-exit 600\n  rftfm watch train.log --report live.html --alert-webhook http://alerts.local/rftfm",
    )
    .action(async (file: string, options: WatchCommandOptions & { backend?: string }) => {
      const stop = new AbortController();
      const abort = () => stop.abort();
      process.once("SIGINT", abort);
      process.once("SIGTERM", abort);
      try {
        process.exitCode = await runWatch(
          kernelsFor(options.backend),
          file,
          options,
          {
            out: process.stdout,
            err: process.stderr,
          },
          stop.signal,
        );
      } finally {
        process.off("SIGINT", abort);
        process.off("SIGTERM", abort);
      }
    });
}
