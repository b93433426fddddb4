/**
 * The canonical telemetry records (the input contract, docs/spec/telemetry.md):
 * their types, one JSONL line decoded into a record, and a record encoded as one.
 * Reading sources and foreign formats into these records is src/ingest's job.
 */

export { decodeLine, decodeValue } from "./decode.js";
export { encodeJson, encodeRecord } from "./encode.js";
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
  type TensorLike,
  type TrajectoriesRecord,
  type TrajectoryRecord,
} from "./records.js";
