/**
 * Reading a live log: a file followed as it grows (`followFile`), in whatever
 * format it is (detected from its lines, or forced), gathered into steps that
 * are yielded as they complete: when the log moves on to the next step, and,
 * so that the newest step is not held back until the next one starts, when
 * the log goes quiet (a record that comes for that step later joins it again,
 * and the step is yielded once more, marked `revised`).
 *
 * A line is used only once its line end is written; a line still incomplete
 * when watching stops is reported. A truncated or replaced file is reported
 * and read again from its start, as a new log.
 *
 * Whole-file formats (trainer_state.json, Parquet, Arrow) cannot be read as
 * they grow: such a file is read again whenever it changes and has then been
 * still for the quiet time, and the steps newer than those already yielded
 * are yielded.
 */

import { createReadStream } from "node:fs";
import { open, readFile, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { detectDocument, HEAD_BYTES } from "./detect.js";
import { type FollowOptions, followFile } from "./follow.js";
import type { DocumentFormat, DocumentInput } from "./format.js";
import { formatNamed } from "./formats/index.js";
import { type StepData, StepGatherer } from "./gather.js";
import { gatherBatch, type ReadTelemetryOptions } from "./read.js";
import { IngestReport } from "./report.js";
import { LineReading, type RecordBatch, readSourceRecords } from "./source.js";

export interface WatchTelemetryOptions extends ReadTelemetryOptions, Omit<FollowOptions, "quietMs"> {
  /**
   * How long the log must be quiet before its newest step is yielded, in
   * milliseconds (default 2000).
   */
  settleMs?: number;
}

/**
 * Follows `path` and yields each (run, step) as it completes, until
 * `options.signal` aborts or `options.exitAfterMs` passes without new data;
 * then the steps still open are yielded and `steps` ends. `report` fills in as
 * it goes.
 */
export function watchTelemetry(
  path: string,
  options: WatchTelemetryOptions = {},
): { steps: AsyncIterable<StepData>; report: IngestReport } {
  const report = options.report ?? new IngestReport(options);
  return { steps: watchSteps(path, report, options), report };
}

async function* watchSteps(
  path: string,
  report: IngestReport,
  options: WatchTelemetryOptions,
): AsyncGenerator<StepData> {
  report.sources++;
  const forced = options.format === undefined ? undefined : formatNamed(options.format);
  const document = forced ? (forced.kind === "document" ? forced : undefined) : await documentFormatOf(path, options);
  if (options.signal?.aborted) return;
  if (document) yield* watchDocument(path, document, report, options);
  else yield* watchLines(path, report, options);
}

/** Waits for the file's first bytes, then asks the document formats about them. */
async function documentFormatOf(path: string, options: WatchTelemetryOptions): Promise<DocumentFormat | undefined> {
  const started = Date.now();
  for (;;) {
    const size = (await stat(path).catch(() => undefined))?.size ?? 0;
    if (size > 0) {
      const file = await open(path, "r").catch(() => undefined); // gone again: look once more
      if (file) {
        try {
          const { buffer, bytesRead } = await file.read(Buffer.alloc(HEAD_BYTES), 0, HEAD_BYTES, 0);
          return await detectDocument(buffer.subarray(0, bytesRead), fileInput(path));
        } finally {
          await file.close();
        }
      }
    }
    if (options.signal?.aborted) return undefined;
    if (options.exitAfterMs !== undefined && Date.now() - started >= options.exitAfterMs) return undefined;
    await sleep(options.pollMs ?? 250);
  }
}

function fileInput(path: string): DocumentInput {
  return { bytes: () => readFile(path), chunks: () => createReadStream(path) };
}

async function* watchLines(
  path: string,
  report: IngestReport,
  options: WatchTelemetryOptions,
): AsyncGenerator<StepData> {
  const forced = options.format === undefined ? undefined : formatNamed(options.format);
  const reading = new LineReading(path, report, options, forced?.kind === "lines" ? forced : undefined);
  let gatherer = new StepGatherer(report, options);
  const gather = (batch: RecordBatch | undefined) => (batch ? gatherBatch(gatherer, batch) : []);
  const follow = followFile(path, { ...options, quietMs: options.settleMs ?? 2000 });
  try {
    for await (const event of follow) {
      if (event.kind === "data") yield* gather(reading.push(event.chunk));
      else if (event.kind === "quiet") {
        yield* gather(reading.idle());
        yield* gatherer.flush();
      } else {
        // A new log: what was open is complete, and its steps start afresh.
        yield* gather(reading.restart(event.reason, event.cause));
        yield* gatherer.finish();
        gatherer = new StepGatherer(report, options);
      }
    }
  } catch (err) {
    // Reading an opened file failed (a device error): reported, and watching ends with what was read.
    const reason = `reading stopped: ${err instanceof Error ? err.message : String(err)}`;
    report.addProblem({ source: path, line: reading.lastLine, reason }, "source");
  }
  yield* gather(reading.end());
  yield* gatherer.finish();
}

async function* watchDocument(
  path: string,
  format: DocumentFormat,
  report: IngestReport,
  options: WatchTelemetryOptions,
): AsyncGenerator<StepData> {
  const gatherer = new StepGatherer(report, options);
  /** Per run, the newest step yielded: a re-read yields only what is newer. */
  const newest = new Map<string, number>();
  const note = (step: StepData): StepData => {
    newest.set(step.run, Math.max(step.step, newest.get(step.run) ?? -1));
    return step;
  };
  const settleMs = options.settleMs ?? 2000;
  let seen = "";
  let changed = Date.now();
  let lastRead = -1;
  for (;;) {
    const now = Date.now();
    const info = await stat(path).catch(() => undefined);
    const version = info ? `${info.ino}:${info.size}:${info.mtimeMs}` : "";
    if (version !== seen) {
      seen = version;
      changed = now;
    }
    const exiting = options.exitAfterMs !== undefined && now - changed >= options.exitAfterMs;
    // Read a change once the file has been still for the settle time (a writer may be mid-way), or before leaving.
    if (info && changed > lastRead && (now - changed >= settleMs || exiting)) {
      lastRead = now;
      for await (const batch of readSourceRecords(path, 0, { ...options, format: format.name }, report)) {
        // The file is read whole again: only the steps newer than those yielded are new.
        const fresh = batch.records.map((record) => record.step > (newest.get(record.run) ?? -1));
        const records = batch.records.filter((_, i) => fresh[i]);
        const lines = batch.lines.filter((_, i) => fresh[i]);
        for (const done of gatherBatch(gatherer, { ...batch, records, lines })) yield note(done);
      }
      for (const step of gatherer.finish()) yield note(step);
    }
    if (exiting) return;
    try {
      await sleep(options.pollMs ?? 250, undefined, { signal: options.signal });
    } catch {
      return; // aborted
    }
  }
}
