/**
 * The reading pipeline wired up: sources -> records (in whatever format each
 * source is: canonical JSONL by default, or a log a trainer already writes;
 * see src/ingest/formats) -> per-step data, with every problem on the way counted in
 * one IngestReport.
 *
 * Records are taken a batch at a time (a chunk of lines, a row group), so the
 * pipeline pays one await per batch and one per emitted step, not one per line.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { type LocatedRecord, type StepData, StepGatherer, type StepGathererOptions } from "./gather.js";
import type { LineSource } from "./lines.js";
import { IngestReport, type IngestReportOptions } from "./report.js";
import { type ReadSourceOptions, type RecordBatch, readSourceRecords } from "./source.js";

export interface ReadTelemetryOptions extends IngestReportOptions, ReadSourceOptions, StepGathererOptions {
  /** Count into this report instead of a new one (its own options then apply). */
  report?: IngestReport;
}

/**
 * Reads telemetry from files (plain or gzip), directories (every file in them,
 * in natural order: `2.jsonl` before `10.jsonl`), `-` (stdin) or streams, and
 * yields each (run, step) as it completes. Each source's format is detected
 * from its content (`options.format` forces one). Memory stays bounded: one
 * batch of input and one open step per run, for at most `maxOpenRuns` runs
 * (a Parquet file is held whole).
 * Nothing is read until `steps` is iterated; `report` fills in as it goes and
 * is complete when `steps` is exhausted.
 *
 * ```ts
 * const { steps, report } = readTelemetry(["run.jsonl.gz", "verl-console.log"]);
 * for await (const step of steps) use(step);
 * console.error(report.summary());
 * ```
 */
export function readTelemetry(
  sources: readonly LineSource[],
  options: ReadTelemetryOptions = {},
): { steps: AsyncIterable<StepData>; report: IngestReport } {
  const report = options.report ?? new IngestReport(options);
  return { steps: readSteps(sources, report, options), report };
}

async function* readSteps(
  sources: readonly LineSource[],
  report: IngestReport,
  options: ReadSourceOptions & StepGathererOptions,
): AsyncGenerator<StepData> {
  const gatherer = new StepGatherer(report, options);
  for await (const batch of recordBatches(sources, report, options)) yield* gatherBatch(gatherer, batch);
  yield* gatherer.finish();
}

/**
 * The records of the sources with their origins, before gathering: for
 * consumers that want records rather than steps (tailing, converting).
 * Lines, problems and formats are counted in `report`; records are counted by
 * kind where they are gathered (`gatherSteps(readRecords(s, r), r)` counts
 * each once).
 */
export async function* readRecords(
  sources: readonly LineSource[],
  report: IngestReport = new IngestReport(),
  options: ReadSourceOptions = {},
): AsyncGenerator<LocatedRecord> {
  for await (const { source, late, records, lines } of recordBatches(sources, report, options)) {
    for (let i = 0; i < records.length; i++) yield { record: records[i], source, line: lines[i], late };
  }
}

/** Adds a batch to the gatherer, giving the steps it completes (those emitted early to bound memory included). */
export function* gatherBatch(gatherer: StepGatherer, batch: RecordBatch): Generator<StepData> {
  // One origin object, updated: the gatherer reads it only while adding (no object per record).
  const origin = { source: batch.source, line: 0 };
  for (let i = 0; i < batch.records.length; i++) {
    origin.line = batch.lines[i];
    const done = gatherer.add(batch.records[i], origin, batch.late);
    if (done) yield done;
    yield* gatherer.takeClosedEarly();
  }
}

async function* recordBatches(
  sources: readonly LineSource[],
  report: IngestReport,
  options: ReadSourceOptions,
): AsyncGenerator<RecordBatch> {
  let index = 0;
  for (const source of sources) {
    for (const file of await expandDirectory(source, report)) {
      report.sources++;
      yield* readSourceRecords(file, index++, options, report);
    }
  }
}

/**
 * A directory's files (not its subdirectories, nor hidden files), in natural
 * order, symbolic links to files included; any other source as it is. A link
 * that leads nowhere, and what is not a regular file (a FIFO, which reading
 * would wait on forever; a socket, a device), are reported and skipped.
 */
async function expandDirectory(source: LineSource, report: IngestReport): Promise<LineSource[]> {
  if (typeof source !== "string" || source === "-") return [source];
  try {
    if (!(await stat(source)).isDirectory()) return [source];
    const collator = new Intl.Collator("en", { numeric: true });
    const entries = (await readdir(source, { withFileTypes: true })).sort((a, b) => collator.compare(a.name, b.name));
    const files: string[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith(".") || entry.isDirectory()) continue;
      const path = join(source, entry.name);
      if (entry.isFile()) {
        files.push(entry.name);
        continue;
      }
      const skip = (reason: string) => report.addProblem({ source: path, line: 0, reason }, "source");
      if (entry.isSymbolicLink()) {
        const target = await stat(path).catch(() => undefined);
        if (!target) skip(`${path} is a symbolic link that leads nowhere (dangling); skipped`);
        else if (target.isFile()) files.push(entry.name);
        else if (!target.isDirectory()) skip(`${path} links to something that is not a regular file; skipped`);
        continue;
      }
      skip(`${path} is not a regular file (${kindOf(entry)}); skipped`);
    }
    return files.map((file) => join(source, file));
  } catch {
    return [source]; // cannot be looked at: reading it reports why
  }
}

function kindOf(entry: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
}): string {
  if (entry.isFIFO()) return "a FIFO: reading it would wait for a writer";
  if (entry.isSocket()) return "a socket";
  if (entry.isBlockDevice() || entry.isCharacterDevice()) return "a device";
  return "of an unknown kind";
}
