/**
 * The reading pipeline wired up: sources -> lines -> records -> per-step data,
 * with every problem on the way counted in one IngestReport.
 *
 * Lines are taken a chunk at a time (`readLineBatches`), so the pipeline pays one
 * await per chunk and one per emitted step, not one per line.
 */
import { decodeLine } from "./decode.js";
import { StepGatherer, type LocatedRecord, type StepData } from "./gather.js";
import { readLineBatches, type LineProblem, type LineSource, type ReadLinesOptions, type SourceLine } from "./lines.js";
import { isProblem, type TelemetryRecord } from "./records.js";
import { IngestReport, type IngestReportOptions } from "./report.js";

export interface ReadTelemetryOptions extends IngestReportOptions, ReadLinesOptions {
  /** Count into this report instead of a new one (its own options then apply). */
  report?: IngestReport;
}

/**
 * Reads telemetry from files (plain or gzip), `-` (stdin) or streams, and yields
 * each (run, step) as it completes. Memory stays bounded: one chunk of input and
 * one open step per run. Nothing is read until `steps` is iterated; `report`
 * fills in as it goes and is complete when `steps` is exhausted.
 *
 * ```ts
 * const { steps, report } = readTelemetry(["run.jsonl.gz"]);
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
  options: ReadLinesOptions,
): AsyncGenerator<StepData> {
  report.sources += sources.length;
  const gatherer = new StepGatherer(report);
  for await (const batch of readLineBatches(sources, options)) {
    for (const item of batch) {
      const record = decodeItem(item, report);
      if (record === undefined) continue;
      const done = gatherer.add(record, item as SourceLine);
      if (done) yield done;
    }
  }
  yield* gatherer.finish();
}

/**
 * The records of the sources with their origins, before gathering: for
 * consumers that want records rather than steps (tailing, converting).
 * Lines, malformed lines and read failures are counted in `report`; records
 * are counted by kind where they are gathered (`gatherSteps(readRecords(s, r), r)`
 * counts each once).
 */
export async function* readRecords(
  sources: readonly LineSource[],
  report: IngestReport = new IngestReport(),
  options: ReadLinesOptions = {},
): AsyncGenerator<LocatedRecord> {
  report.sources += sources.length;
  for await (const batch of readLineBatches(sources, options)) {
    for (const item of batch) {
      const record = decodeItem(item, report);
      if (record === undefined) continue;
      yield { record, source: item.source, line: item.line };
    }
  }
}

/** A line's record, or undefined after reporting why there is none. */
function decodeItem(item: SourceLine | LineProblem, report: IngestReport): TelemetryRecord | undefined {
  if (!("text" in item)) {
    const { cause, ...problem } = item;
    report.addProblem(problem, cause);
    return undefined;
  }
  report.lines++;
  const decoded = decodeLine(item.text, item.source, item.line);
  if (isProblem(decoded)) {
    report.addProblem(decoded, "malformed");
    return undefined;
  }
  return decoded;
}
