import { createReadStream, createWriteStream } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { parse } from "csv-parse";
import { stringify } from "csv-stringify";
import type { Kernels } from "../backend/kernel.js";
import { IngestReport } from "../ingest/report.js";
import { scoreSeries } from "../series/score.js";
import { printable } from "../telemetry/printable.js";
import type { CliContext } from "./command.js";
import { addFailOnOptions, type FailOnOptions, failureReasons } from "./fail-on.js";
import { exitStatus } from "./scan.js";

/** One input row as csv-parse gives it with `columns: true`. */
type Row = Record<string, string>;

/** A CSV cell as a number; an empty or non-numeric cell is NaN (scored as a non-finite value). */
function numeric(cell: string | undefined): number {
  const text = cell?.trim() ?? "";
  return text === "" ? NaN : Number(text);
}

/** The rows, refusing a CSV without timestamp and value columns at its first row. */
async function* checked(rows: AsyncIterable<Row>): AsyncGenerator<Row> {
  let first = true;
  for await (const row of rows) {
    if (first && (!("timestamp" in row) || !("value" in row))) {
      throw new Error(`the CSV needs timestamp and value columns, it has ${Object.keys(row).join(", ")}`);
    }
    first = false;
    yield row;
  }
}

/**
 * Reads a NAB-style CSV (`timestamp,value` header; other columns ignored) and
 * writes `timestamp,value,anomaly_score`, one row per input row, streaming: a
 * row's score uses only earlier rows (src/series/score.ts). A row that is not
 * CSV is skipped and passed to `onSkip` with its line. Returns the number of rows scored.
 */
export async function scoreSeriesCsv(
  kernels: Kernels,
  input: Readable,
  output: Writable,
  onSkip: (line: number, message: string) => void = () => {},
): Promise<number> {
  const csv = stringify({ header: true, columns: ["timestamp", "value", "anomaly_score"] });
  // Piped rather than part of the pipeline: a failing pipeline destroys its streams,
  // and standard output must survive to report the error. Standard output is not ended.
  const end = output !== process.stdout;
  csv.pipe(output, { end });
  let count = 0;
  // A row csv-parse cannot read (a quote left open on the last line, a row of the wrong width) is
  // skipped and reported; the rows around it are scored (a parse error would lose them all).
  const rows = parse({ columns: true, skip_empty_lines: true, trim: true, skip_records_with_error: true });
  rows.on("skip", (err: Error & { lines?: number }) => {
    onSkip(err.lines ?? 0, `${err.message}; the row was skipped`);
  });
  await pipeline(
    input,
    rows,
    async function* (rows: AsyncIterable<Row>) {
      for await (const { item, score } of scoreSeries(kernels, checked(rows), (row) => numeric(row.value))) {
        count++;
        yield [item.timestamp, item.value, score];
      }
    },
    csv,
  );
  if (end) await finished(output);
  return count;
}

/** `rftfm score-series FILE [--out FILE]`. */
export function registerScoreSeries(program: Command, { backendOption, kernelsFor }: CliContext): void {
  const command = program
    .command("score-series")
    .description(
      "Score a univariate series for anomalies with the streaming detectors (robust baseline, spike, " +
        "CUSUM and Page-Hinkley), range and context novelty (see docs/detectors.md). Reads a CSV with timestamp and value columns " +
        "(the Numenta Anomaly Benchmark's format) and writes timestamp,value,anomaly_score: one row per " +
        "input row, the score in [0, 1], each score using only earlier rows.",
    )
    .argument("<file>", "CSV file with a header naming timestamp and value columns, or - for standard input")
    .option("--out <file>", "write the scored CSV to this file instead of standard output");
  addFailOnOptions(command)
    .addOption(backendOption)
    .addHelpText(
      "after",
      "\nOnly --fail-on ingest (or --strict) applies here: exit 1 when a row was skipped.\n" +
        "\nExamples:\n  rftfm score-series data/nyc_taxi.csv --out scored.csv\n  cat series.csv | rftfm score-series -",
    )
    .action(async (file: string, options: FailOnOptions & { out?: string; backend?: string }) => {
      process.exitCode = await runScoreSeries(kernelsFor(options.backend), file, options, {
        out: process.stdout,
        err: process.stderr,
      });
    });
}

/**
 * Scores `file` (or `-`) and returns the exit status, by the convention of `scan`
 * (fail-on.ts): a source that cannot be read exits 1; a skipped row is reported on
 * stderr (`FILE:LINE: reason`) and exits 1 only with `--fail-on ingest` (`alarm` and
 * `halt` name nothing here). A CSV without timestamp and value columns is a usage
 * error (thrown: status 2).
 */
async function runScoreSeries(
  kernels: Kernels,
  file: string,
  options: FailOnOptions & { out?: string },
  io: { out: Writable; err: Writable },
): Promise<number> {
  const report = new IngestReport();
  report.sources = 1;
  const input = file === "-" ? process.stdin : createReadStream(file);
  // The input's own error (a missing or unreadable file) is a source not read, not a usage error.
  let readError: unknown;
  input.once("error", (error: Error) => {
    readError = error;
  });
  const output = options.out ? createWriteStream(options.out) : io.out;
  try {
    await scoreSeriesCsv(kernels, input, output, (line, reason) => {
      report.addProblem({ source: file, line, reason }, "malformed");
    });
  } catch (error) {
    if (readError === undefined || error !== readError) throw error;
    if (output !== io.out) output.end();
    report.addProblem({ source: file, line: 0, reason: `cannot be read: ${(error as Error).message}` }, "source");
  }
  for (const p of report.problems) {
    io.err.write(`rftfm score-series: ${printable(`${p.source}:${p.line}: ${p.reason}`)}\n`);
  }
  const unlisted = report.problemCount - report.problems.length;
  if (unlisted > 0) io.err.write(`rftfm score-series: ... and ${unlisted} more rows skipped\n`);
  const failOn = options.failOn?.filter((c) => c === "ingest");
  return exitStatus(failureReasons({ ...options, failOn }, report), io);
}
