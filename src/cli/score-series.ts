import { createReadStream, createWriteStream } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { parse } from "csv-parse";
import { stringify } from "csv-stringify";
import type { Kernels } from "../backend/kernel.js";
import { scoreSeries } from "../series/score.js";
import { printable } from "../telemetry/printable.js";
import type { CliContext } from "./command.js";

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
 * CSV is skipped and passed to `onSkip`. Returns the number of rows scored.
 */
async function scoreSeriesCsv(
  kernels: Kernels,
  input: Readable,
  output: Writable,
  onSkip: (message: string) => void = () => {},
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
    onSkip(`line ${err.lines ?? "?"}: ${err.message}; the row was skipped`);
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
  program
    .command("score-series")
    .description(
      "Score a univariate series for anomalies with the streaming detectors (robust baseline, spike, " +
        "CUSUM and Page-Hinkley), range and context novelty (see docs/detectors.md). Reads a CSV with timestamp and value columns " +
        "(the Numenta Anomaly Benchmark's format) and writes timestamp,value,anomaly_score: one row per " +
        "input row, the score in [0, 1], each score using only earlier rows.",
    )
    .argument("<file>", "CSV file with a header naming timestamp and value columns, or - for standard input")
    .option("--out <file>", "write the scored CSV to this file instead of standard output")
    .addOption(backendOption)
    .addHelpText(
      "after",
      "\nExamples:\n  rftfm score-series data/nyc_taxi.csv --out scored.csv\n  cat series.csv | rftfm score-series -",
    )
    .action(async (file: string, options: { out?: string; backend?: string }) => {
      const input = file === "-" ? process.stdin : createReadStream(file);
      const output = options.out ? createWriteStream(options.out) : process.stdout;
      const skipped: string[] = [];
      await scoreSeriesCsv(kernelsFor(options.backend), input, output, (message) => skipped.push(message));
      for (const message of skipped) process.stderr.write(`rftfm score-series: ${printable(`${file}: ${message}`)}\n`);
    });
}
