/**
 * Ingest: sources (files, gzip, stdin, streams, a log being written) -> canonical
 * records, in whatever format each source is (src/ingest/formats, detected from
 * content) -> per-(run, step) data, with everything that could not be used
 * counted in one IngestReport.
 */

export { type FollowEvent, type FollowOptions, followFile } from "./follow.js";
export { type AdapterOptions, FORMAT_NAMES, type FormatName } from "./format.js";
export {
  DEFAULT_MAX_OPEN_RUNS,
  gatherSteps,
  type LateRule,
  type LocatedRecord,
  type RecordOrigin,
  type StepData,
  StepGatherer,
  type StepGathererOptions,
  type TrajectoryTable,
} from "./gather.js";
export {
  DEFAULT_MAX_LINE_LENGTH,
  type LineProblem,
  type LineSource,
  type NamedStream,
  type ReadLinesOptions,
  readLineBatches,
  readLines,
  type SourceLine,
  sourceName,
} from "./lines.js";
export { COLUMN_ALIASES, canonicalColumns, canonicalMetrics, METRIC_ALIASES } from "./parse/names.js";
export { type ReadTelemetryOptions, readRecords, readTelemetry } from "./read.js";
export {
  DEFAULT_MAX_PROBLEMS,
  IngestReport,
  type IngestReportJSON,
  type IngestReportOptions,
  type ProblemCause,
} from "./report.js";
export { type WatchTelemetryOptions, watchTelemetry } from "./watch.js";
