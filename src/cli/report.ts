/**
 * `rftfm report FILE|DIR... --out report.html`: judges every run as `scan`
 * does and writes what the monitor saw and said as one self-contained HTML page
 * (src/report, docs/report.md), or its data as JSON with `--json`. Also the
 * step-to-report glue that `watch --report` uses.
 */
import type { Command } from "commander";
import type { Kernels } from "../backend/kernel.js";
import { readTelemetry } from "../ingest/index.js";
import type { Monitor } from "../monitor/monitor.js";
import { CANDIDATE_SIGNALS } from "../monitor/signals.js";
import { DEFAULT_MAX_POINTS, ReportCollector, type ReportData, reportJson, writeReport } from "../report/index.js";
import { featureRecord } from "../scan/scan.js";
import type { Verdict } from "../verdict/types.js";
import type { CliContext } from "./command.js";
import { numberArg } from "./number-arg.js";
import { write } from "./output.js";
import { addReadOptions, formatsHelp, type ReadCommandOptions, readOptions } from "./read-options.js";
import type { Io } from "./scan.js";
import { outputSteps, type ScannedStep } from "./steps.js";
import { logMonitor } from "./verdicts.js";

export interface ReportCommandOptions extends ReadCommandOptions {
  out?: string;
  json?: boolean;
  maxPoints?: number;
  fingerprints?: string;
  prior?: boolean;
  strict?: boolean;
}

/**
 * A step's signal values by name, as the report plots them: its metrics, its
 * trajectory features, and `nonfinite` (the tensor's non-finite cells), the
 * names the monitor's verdicts use.
 */
export function stepValues(step: ScannedStep): Record<string, number> {
  const values: Record<string, number> = { ...step.data.metrics };
  if (step.features) {
    const features = featureRecord(step);
    let nonfinite = 0;
    for (const [name, value] of Object.entries(features)) {
      values[name] = value;
      if (name.endsWith(".nonfinite")) nonfinite += value;
    }
    values.nonfinite = nonfinite;
  }
  return values;
}

const CANDIDATES: ReadonlySet<string> = new Set(CANDIDATE_SIGNALS);

/**
 * Which curves a report keeps: every step metric the run logged, and the
 * trajectory features the monitor can watch (the 150-odd column statistics
 * would mostly repeat them, at a memory cost per run).
 */
export function keptForReport(signal: string): boolean {
  return !signal.includes(".") || CANDIDATES.has(signal);
}

/** Collects a monitored stream's steps for a report, and rewrites the report file at most every `everyMs`. */
export class ReportWriter {
  readonly collector: ReportCollector;
  private lastWrite = -Infinity;

  constructor(
    private readonly monitor: Monitor,
    private readonly about: { path?: string; sources: string[]; backend: string; format: "html" | "json" },
    maxPoints = DEFAULT_MAX_POINTS,
    private readonly everyMs = 0,
  ) {
    this.collector = new ReportCollector({ maxPoints, keep: keptForReport });
  }

  observe(step: ScannedStep, verdict: Verdict): void {
    this.collector.observe(step.data, stepValues(step), verdict);
    // A live report is rewritten as the run goes, and at once when an alarm opens.
    if (this.about.path && this.everyMs > 0 && (verdict.anomalous || Date.now() - this.lastWrite >= this.everyMs))
      this.write();
  }

  data(ingest?: string): ReportData {
    return this.collector.build((run) => this.monitor.summary(run), {
      sources: this.about.sources,
      backend: this.about.backend,
      ...(ingest !== undefined ? { ingest } : {}),
    });
  }

  /** Writes the report file now. */
  write(ingest?: string): void {
    if (!this.about.path) return;
    writeReport(this.about.path, this.data(ingest), this.about.format);
    this.lastWrite = Date.now();
  }
}

/** Returns the exit status. */
export async function runReport(
  kernels: Kernels,
  files: string[],
  options: ReportCommandOptions,
  io: Io,
): Promise<number> {
  if (!options.out && !options.json) {
    await write(io.err, "rftfm report: say where the report goes: --out FILE.html (or --json for its data)\n");
    return 2;
  }
  const { steps, report } = readTelemetry(files, readOptions(options));
  const { monitor, close } = logMonitor(kernels, options);
  const writer = new ReportWriter(
    monitor,
    { path: options.out, sources: files, backend: kernels.name, format: options.json ? "json" : "html" },
    options.maxPoints,
  );
  let data: ReportData;
  try {
    await outputSteps(kernels, steps, async (step) => {
      writer.observe(step, monitor.observeScanned(step, step.data.events));
    });
    data = writer.data(report.summary());
  } finally {
    close();
  }
  if (options.out) {
    writeReport(options.out, data, options.json ? "json" : "html");
    const alarms = data.runs.filter((r) => r.summary.alarm).length;
    const notice = data.downsampled ? `; curves downsampled to at most ${data.max_points} points` : "";
    await write(
      options.json ? io.err : io.out,
      `report: ${options.out} (${data.runs.length} run${data.runs.length === 1 ? "" : "s"}, ${alarms} with an alarm${notice})\n`,
    );
  } else {
    await write(io.out, reportJson(data));
  }
  if (!options.json) await write(io.out, `${report.summary()}\n`);
  else if (report.problemCount > 0 || report.boundReached) await write(io.err, `${report.summary()}\n`);
  return options.strict && report.problemCount > 0 ? 1 : 0;
}

const points = numberArg({ integer: true, min: 2, expected: "a whole number of points, 2 or more" });

/** `rftfm report FILES... --out report.html`. */
export function registerReport(program: Command, context: CliContext): void {
  addReadOptions(
    program
      .command("report")
      .description(
        "Judge runs from their telemetry as scan does and write one self-contained HTML report (no network needed " +
          "to view it): an overview table of the runs (sortable, filterable by alarm and fault), and per run the " +
          "watched signals as curves on one step axis, the alarm episodes shaded, the estimated onset and every " +
          "action marked, the diagnosis with its evidence beside the plot it refers to, and the signals never " +
          "logged. With --json, the same data as JSON (docs/report.md).",
      )
      .argument("<files...>", "telemetry files, directories (every file in them), or - for standard input"),
  )
    .option(
      "--out <file>",
      "where to write the report (HTML; with --json, the JSON; without --out, --json goes to stdout)",
    )
    .option("--json", "write the report's data as JSON instead of HTML")
    .option(
      "--max-points <n>",
      `the most points a curve keeps; longer runs are downsampled to their min/max envelope (default ${DEFAULT_MAX_POINTS})`,
      points,
    )
    .option("--fingerprints <file>", "fingerprint set for the monitor (default: the shipped one)")
    .option(
      "--prior",
      "also judge each step against the fingerprint set's healthy prior (default: on with --fingerprints, off with the shipped set)",
    )
    .option("--no-prior", "do not use the healthy prior")
    .option("--strict", "exit with status 1 when the ingest report lists any problem")
    .addOption(context.backendOption)
    .addHelpText(
      "after",
      formatsHelp() +
        "\nExamples:\n  rftfm report examples/small-run.jsonl --out report.html\n" +
        "  rftfm report runs/ --out runs.html\n  rftfm report run.jsonl --json > report.json\n" +
        "  rftfm watch train.log --report live.html   (rewritten as the run goes)",
    )
    .action(async (files: string[], options: ReportCommandOptions & { backend?: string }) => {
      process.exitCode = await runReport(context.kernelsFor(options.backend), files, options, {
        out: process.stdout,
        err: process.stderr,
      });
    });
}
