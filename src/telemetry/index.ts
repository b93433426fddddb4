/**
 * Telemetry input: the canonical record types, the streaming JSONL reader, and
 * gathering records into per-(run, step) trajectory tensors.
 */

export { decodeLine, decodeValue } from "./decode.js";
export { encodeJson, encodeRecord } from "./encode.js";
export { type FollowEvent, type FollowOptions, followFile } from "./follow.js";
export {
  gatherSteps,
  type LateRule,
  type LocatedRecord,
  type RecordOrigin,
  type StepData,
  StepGatherer,
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
export { type ReadTelemetryOptions, readRecords, readTelemetry } from "./read.js";
export {
  CANONICAL_METRICS,
  CANONICAL_TRAJECTORY_COLUMNS,
  type CanonicalMetric,
  type CanonicalTrajectoryColumn,
  type EventRecord,
  isProblem,
  type Problem,
  RECORD_KINDS,
  type RecordKind,
  type StepRecord,
  type TelemetryRecord,
  type TrajectoriesRecord,
  type TrajectoryRecord,
} from "./records.js";
export {
  DEFAULT_MAX_PROBLEMS,
  IngestReport,
  type IngestReportJSON,
  type IngestReportOptions,
  type ProblemCause,
} from "./report.js";
export { type WatchTelemetryOptions, watchTelemetry } from "./watch.js";
