/**
 * The canonical telemetry records (contract v1, see the telemetry spec): what a
 * training run tells the library, one record per JSONL line. Adapters for
 * foreign log formats map onto these same types.
 *
 * Values are plain JavaScript numbers. Non-finite numbers (NaN, ±Infinity) are
 * data, not errors; a missing trajectory cell is NaN.
 */

/** Trainer-level scalars for one optimisation step. */
export interface StepRecord {
  kind: "step";
  run: string;
  step: number;
  /** Wall-clock time of the step, seconds since the epoch, when the trainer sent one. */
  time?: number;
  /** Metric name -> value. A metric sent as `null` is absent here. */
  metrics: Record<string, number>;
}

/** The step's trajectory-level tensor, columnar: every column holds `rows` values. */
export interface TrajectoriesRecord {
  kind: "trajectories";
  run: string;
  step: number;
  /** Trajectories in the block (the common length of every column). */
  rows: number;
  /** Column name -> one value per trajectory; a `null` cell was decoded to NaN. */
  columns: Record<string, number[]>;
  /** How many cells were sent as `null` (missing) and hold NaN; absent means 0. */
  missingCells?: number;
}

/** One trajectory sent as a row; the rows of a step join its tensor. */
export interface TrajectoryRecord {
  kind: "trajectory";
  run: string;
  step: number;
  /** Column name -> value; a cell sent as `null` is absent here. */
  values: Record<string, number>;
}

/** Something the trainer did (`checkpoint`, `action_applied`, `resume`, ...). */
export interface EventRecord {
  kind: "event";
  run: string;
  step: number;
  name: string;
  /** Every other key of the event line, as sent. */
  data: Record<string, unknown>;
}

export type TelemetryRecord = StepRecord | TrajectoriesRecord | TrajectoryRecord | EventRecord;
export type RecordKind = TelemetryRecord["kind"];

export const RECORD_KINDS: readonly RecordKind[] = ["step", "trajectories", "trajectory", "event"];

/**
 * Something in the input that could not be used: a malformed line, a record that
 * arrived out of step order, a source that could not be read. Never thrown;
 * counted and reported.
 */
export interface Problem {
  /** The file name as given, `stdin`, or `<stream N>`. */
  source: string;
  /** 1-based line number within the source; for a read failure, the last line read whole (0 if none). */
  line: number;
  /** What was wrong, naming the field, e.g. `metrics.kl_ref: expected a number, got "abc"`. */
  reason: string;
  /** The offending field's path (`metrics.kl_ref`, `columns.reward`), when one field is to blame. */
  field?: string;
}

/** Tells a Problem from the records and lines it travels with (neither has a `reason`). */
export function isProblem(value: object): value is Problem {
  return typeof (value as { reason?: unknown }).reason === "string" && !("kind" in value) && !("text" in value);
}

/** Canonical metric names of a `step` record; any other name is kept as an extra series. */
export const CANONICAL_METRICS = [
  "reward_mean",
  "reward_std",
  "correct_mean",
  "kl_ref",
  "ppo_kl",
  "entropy",
  "loss",
  "pg_loss",
  "grad_norm",
  "lr",
  "clip_frac",
  "response_length_mean",
  "truncation_rate",
  "step_time",
  "num_trajectories",
  "tool_error_rate",
] as const;

/**
 * Canonical columns of a trajectory tensor, as the spec lists them: the two id
 * columns (`group`, `prompt_id`) and the value columns. Any other column name
 * is kept as an extra column.
 */
export const CANONICAL_TRAJECTORY_COLUMNS = [
  "group",
  "prompt_id",
  "reward",
  "correct",
  "length",
  "truncated",
  "advantage",
  "logprob_mean",
  "entropy_mean",
  "ratio_mean",
  "ratio_max",
  "logprob_gap",
  "kl_ref",
  "format_ok",
  "repetition",
  "tool_calls",
  "tool_errors",
] as const;

export type CanonicalMetric = (typeof CANONICAL_METRICS)[number];
export type CanonicalTrajectoryColumn = (typeof CANONICAL_TRAJECTORY_COLUMNS)[number];

/** A step's trajectory tensor as the scanner reads it: its row count and its columns by name. */
export interface TensorLike {
  readonly rows: number;
  readonly columns: ReadonlyMap<string, ArrayLike<number>>;
}
