/**
 * Telemetry input: the canonical record types, the streaming JSONL reader, and
 * gathering records into per-(run, step) trajectory tensors.
 */
export {
  CANONICAL_METRICS,
  CANONICAL_TRAJECTORY_COLUMNS,
  RECORD_KINDS,
  isProblem,
  type CanonicalMetric,
  type CanonicalTrajectoryColumn,
  type EventRecord,
  type Problem,
  type RecordKind,
  type StepRecord,
  type TelemetryRecord,
  type TrajectoriesRecord,
  type TrajectoryRecord,
} from "./records.js";
export { decodeLine, decodeValue } from "./decode.js";
export { encodeJson, encodeRecord } from "./encode.js";
export {
  DEFAULT_MAX_LINE_LENGTH,
  readLineBatches,
  readLines,
  sourceName,
  type LineProblem,
  type LineSource,
  type NamedStream,
  type ReadLinesOptions,
  type SourceLine,
} from "./lines.js";
export {
  StepGatherer,
  gatherSteps,
  type LateRule,
  type LocatedRecord,
  type RecordOrigin,
  type StepData,
  type TrajectoryTable,
} from "./gather.js";
export {
  DEFAULT_MAX_PROBLEMS,
  IngestReport,
  type IngestReportJSON,
  type IngestReportOptions,
  type ProblemCause,
} from "./report.js";
export { readRecords, readTelemetry, type ReadTelemetryOptions } from "./read.js";
export { followFile, type FollowEvent, type FollowOptions } from "./follow.js";
export { watchTelemetry, type WatchTelemetryOptions } from "./watch.js";
