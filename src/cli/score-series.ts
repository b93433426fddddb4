import { createReadStream, createWriteStream } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import type { Command, Option } from "commander";
import { parse } from "csv-parse";
import { stringify } from "csv-stringify";
import type { Kernels, SeriesScorer } from "../backend/kernel.js";

/** Rows scored per kernel call: large enough to amortise the call, small enough to stream. */
const CHUNK = 4096;

/** One input row as csv-parse gives it with `columns: true`. */
type Row = Record<string, string>;

/** A CSV cell as a number; an empty or non-numeric cell is NaN (scored as a non-finite value). */
function numeric(cell: string | undefined): number {
  const text = cell?.trim() ?? "";
  return text === "" ? NaN : Number(text);
}

/** Scores a chunk of rows, yielding them as `[timestamp, value, anomaly_score]`. */
function* scored(scorer: SeriesScorer, rows: Row[]): Generator<[string, string, number]> {
  const values = Float64Array.from(rows, (r) => numeric(r.value));
  const scores = new Float64Array(rows.length);
  scorer.score(values, scores);
  for (let i = 0; i < rows.length; i++) yield [rows[i].timestamp, rows[i].value, scores[i]];
}

/**
 * Reads a NAB-style CSV (`timestamp,value` header; other columns ignored) and
 * writes `timestamp,value,anomaly_score`, one row per input row, streaming: a
 * row's score uses only earlier rows. Returns the number of rows.
 */
export async function scoreSeriesCsv(kernels: Kernels, input: Readable, output: Writable): Promise<number> {
  const scorer = kernels.detectors.createSeriesScorer();
  const csv = stringify({ header: true, columns: ["timestamp", "value", "anomaly_score"] });
  // Piped rather than part of the pipeline: a failing pipeline destroys its streams,
  // and standard output must survive to report the error. Standard output is not ended.
  const end = output !== process.stdout;
  csv.pipe(output, { end });
  let count = 0;
  try {
    await pipeline(
      input,
      parse({ columns: true, skip_empty_lines: true, trim: true }),
      async function* (records: AsyncIterable<Row>) {
        let chunk: Row[] = [];
        for await (const record of records) {
          if (count === 0 && (!("timestamp" in record) || !("value" in record))) {
            throw new Error(`the CSV needs timestamp and value columns, it has ${Object.keys(record).join(", ")}`);
          }
          count++;
          chunk.push(record);
          if (chunk.length === CHUNK) {
            yield* scored(scorer, chunk);
            chunk = [];
          }
        }
        yield* scored(scorer, chunk);
      },
      csv,
    );
  } finally {
    scorer.free();
  }
  if (end) await finished(output);
  return count;
}

/** `rftfm score-series FILE [--out FILE]`. */
export function registerScoreSeries(
  program: Command,
  backendOption: Option,
  kernelsFor: (backend?: string) => Kernels,
) {
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
      await scoreSeriesCsv(kernelsFor(options.backend), input, output);
    });
}
