/**
 * The kernel interface: one TypeScript type that both backends (the napi-rs
 * addon in `native/` and the AssemblyScript build in `wasm/`) satisfy.
 *
 * Work crosses the boundary a batch at a time, never a trajectory at a time.
 * A batch holds many steps in flat buffers that the kernel reads in place:
 * plain typed arrays for native (borrowed as Rust slices), views over the wasm
 * module's linear memory for wasm. Whoever fills a batch writes straight into
 * these buffers, so nothing is copied on the way into the kernel.
 *
 * What each kernel refuses, and the words it refuses it with, are in
 * `checks.ts`, checked there once for both backends.
 */

import type { DETECT_OPTIONS } from "./generated/detect.js";

export type BackendName = "native" | "wasm";

/** Shape of a batch: how many value columns, steps and rows (trajectories) in all. */
export interface BatchShape {
  /** Value columns: the canonical columns first (see `CANONICAL_COLUMNS`), extra columns after. */
  readonly columns: number;
  readonly steps: number;
  readonly rows: number;
}

/**
 * A batch of step tensors laid out for one scan call.
 *
 * - `values`: `columns x rows` f64, column-major: column `c` of the whole batch is
 *   `values.subarray(c * rows, (c + 1) * rows)`; a missing cell is NaN.
 * - `groups`: `rows` group ids.
 * - `prompts`: `rows` prompt ids, whole numbers held as f64 (exact to 2^53, so
 *   hashed ids survive; a missing id is NaN, unknown for that row).
 * - `offsets`: `steps + 1` row offsets; step `s` owns rows `offsets[s] .. offsets[s + 1]`.
 * - `present`: `steps x (columns + 2)` flags (1 = the step has that column);
 *   slot `columns` of each step is the group column, slot `columns + 1` the
 *   prompt-id column (`presenceSlots`).
 * - `out`: `steps x featureCount(columns)` features, written by `scan`.
 *
 * For the wasm backend the arrays are views over linear memory that the getters
 * re-create when memory grows: read them from the batch each time, do not keep them.
 */
export interface ScanBatch extends BatchShape {
  readonly values: Float64Array;
  readonly groups: Int32Array;
  readonly prompts: Float64Array;
  readonly offsets: Uint32Array;
  readonly present: Uint8Array;
  readonly out: Float64Array;
}

/** Presence flags per step of a batch with `columns` value columns: the columns, the group ids, the prompt ids. */
export function presenceSlots(columns: number): number {
  return columns + 2;
}

export interface Kernels {
  readonly name: BackendName;
  /** `version` of layout/scan.json the kernels were built with. */
  readonly layoutVersion: number;
  /** Features per step for a batch with `columns` value columns. */
  featureCount(columns: number): number;
  /** A zero-filled batch whose buffers the kernels read in place. */
  allocBatch(shape: BatchShape): ScanBatch;
  /** Gives a batch's memory back (a no-op for native, whose buffers the GC owns). */
  freeBatch(batch: ScanBatch): void;
  /**
   * Scans every step of the batch, writing its features into `batch.out`.
   * Throws an Error whose message starts with `ERR_RFTFM_SCAN_SHAPE` when the
   * buffers disagree on their shape.
   */
  scan(batch: ScanBatch): void;
  /** The streaming detectors (native/src/detect, wasm/assembly/detect). */
  readonly detectors: DetectorKernels;
}

// Prefixes of the kernels' error messages, on both backends (layout/errors.json).
export {
  DETECT_OPTIONS_ERROR,
  DETECT_SHAPE_ERROR,
  DETECT_SNAPSHOT_ERROR,
  SCAN_SHAPE_ERROR,
} from "./generated/errors.js";

/** Names of the detector options (layout/detect.json `options`). */
export type DetectorOptionName = (typeof DETECT_OPTIONS)[number]["name"];

/** Detector options by name; an option left out takes its default (`DETECT_OPTIONS`). */
export type DetectorOptions = Partial<Record<DetectorOptionName, number>>;

/**
 * Detector state for many streams at once: one stream per (run, signal), with
 * runs and signals as integer ids (a run id is any u32, a signal id is below
 * `max_signals`). Memory is fixed at creation (`max_runs x max_signals`
 * streams); a new run in a full bank evicts the least recently observed run.
 * Definitions, defaults, delays and false-alarm rates: docs/detectors.md.
 */
export interface DetectorBank {
  /** Every option's value, defaults filled in. */
  readonly options: Readonly<Record<DetectorOptionName, number>>;
  /** Runs held now. */
  readonly runs: number;
  /**
   * Feeds observation i (`values[i]` of signal `signals[i]` of run `runs[i]`) to its
   * stream, in order. Writes `DETECT_OUTPUTS.length` outputs per observation into
   * `outputs` (row-major) and its flag bits (`DETECT_FLAGS`: flag j is bit 1 << j) into
   * `flags`. Throws `ERR_RFTFM_DETECT_SHAPE` (nothing learnt) when the lengths disagree
   * or a signal id is not below `max_signals`.
   */
  push(runs: Uint32Array, signals: Uint32Array, values: Float64Array, outputs: Float64Array, flags: Int32Array): void;
  /** The whole state as bytes (the same bytes on both backends), for `restoreBank`. */
  snapshot(): Uint8Array;
  /** Drops a run's state at once; false when the bank did not hold it. */
  evict(run: number): boolean;
  /** Gives the bank's memory back (wasm); the bank is unusable afterwards. */
  free(): void;
}

/** The univariate anomaly scorer behind `rftfm score-series`: one series, fed in chunks. */
export interface SeriesScorer {
  /** Scores the next `values` of the series, one score in [0, 1] each (using only earlier values), into `scores`. */
  score(values: Float64Array, scores: Float64Array): void;
  /** Gives the scorer's memory back (wasm); it is unusable afterwards. */
  free(): void;
}

/**
 * A healthy prior table: reference centers and scales learnt from healthy runs,
 * per signal and training-step bucket, `signals x buckets` cells row-major by
 * signal (cell `s * buckets + b`). A cell without reference has a NaN (or
 * non-finite) center or scale, or scale 0; a negative scale is refused.
 */
export interface PriorTable {
  readonly signals: number;
  readonly buckets: number;
  readonly center: Float64Array;
  readonly scale: Float64Array;
}

/** Scores values against a prior table (docs/detectors.md, "Healthy prior"). */
export interface PriorScorer {
  readonly signals: number;
  readonly buckets: number;
  /**
   * z[i] = (values[i] - center) / scale of the cell of signal `signals[i]` and bucket
   * `min(steps[i], buckets - 1)`, within ±`Z_MAX`; NaN when the value is not finite or the
   * cell has no reference. Throws `ERR_RFTFM_DETECT_SHAPE` (nothing written) when the
   * lengths disagree or a signal id is not below `signals`.
   */
  score(signals: Uint32Array, steps: Uint32Array, values: Float64Array, z: Float64Array): void;
  /** Gives the table's memory back (wasm); the scorer is unusable afterwards. */
  free(): void;
}

/**
 * Known fault fingerprints: `fingerprints x dims` centroids of deviation vectors,
 * row-major by fingerprint (NaN: the fault says nothing of that dimension), and one
 * weight per dimension (finite, >= 0).
 */
export interface FingerprintCentroids {
  readonly fingerprints: number;
  readonly dims: number;
  readonly centroids: Float64Array;
  readonly weights: Float64Array;
}

/** Matches deviation vectors against a fingerprint set (docs/detectors.md, "Fingerprint matching"). */
export interface FingerprintMatcher {
  readonly fingerprints: number;
  readonly dims: number;
  /**
   * Writes each fingerprint's weighted cosine similarity to `vector` (`dims` entries, NaN:
   * signal missing) into `similarity` and its softmax confidence at `temperature` into
   * `confidence` (`fingerprints` entries each); returns the dimensions used (finite in
   * `vector`, weight above 0). Throws `ERR_RFTFM_DETECT_SHAPE` (nothing written) when the
   * lengths disagree or the temperature is not finite and above 0.
   */
  match(vector: Float64Array, temperature: number, similarity: Float64Array, confidence: Float64Array): number;
  /** Gives the set's memory back (wasm); the matcher is unusable afterwards. */
  free(): void;
}

/** The streaming detectors. */
export interface DetectorKernels {
  /** `version` of layout/detect.json the kernels were built with. */
  readonly layoutVersion: number;
  /** wasm: bytes of linear memory the live detector objects hold (wasm-held.ts); undefined on the addon. */
  readonly heldBytes?: number;
  /** Throws `ERR_RFTFM_DETECT_OPTIONS` for an option that breaks its rule. */
  createBank(options?: DetectorOptions): DetectorBank;
  /** A bank that continues exactly where the snapshot's bank stood; throws `ERR_RFTFM_DETECT_SNAPSHOT` for other bytes. */
  restoreBank(snapshot: Uint8Array): DetectorBank;
  createSeriesScorer(options?: DetectorOptions): SeriesScorer;
  /** Throws `ERR_RFTFM_DETECT_SHAPE` for a table whose counts, lengths or scales break its rules. */
  createPrior(table: PriorTable): PriorScorer;
  /** Throws `ERR_RFTFM_DETECT_SHAPE` for a set whose counts, lengths or weights break its rules. */
  createMatcher(set: FingerprintCentroids): FingerprintMatcher;
  /**
   * One step of the per-signal CUSUM of |z| against the prior
   * (native/src/detect/prior.rs `accumulate`): `sums[i] = max(0, sums[i] +
   * min(|z[i]|, clip) - k)`, an alarm (`alarms[i] = 1`) and a fresh start at 0
   * above `h`; a NaN z leaves its sum. Throws `ERR_RFTFM_DETECT_SHAPE` (nothing
   * written) for unequal lengths or settings other than k >= 0, clip > 0, h > 0.
   */
  priorAccumulate(sums: Float64Array, z: Float64Array, settings: PriorAccumulation, alarms: Uint8Array): void;
  /**
   * One observation per stream of the zero-shot trend detector
   * (native/src/detect/trend.rs; docs/detection.md): observation i is
   * `values[i]`, coded `codes[i]` (a kind of layout/trend.json plus the
   * direction bits `TREND_MAY_RISE` / `TREND_MAY_FALL`, or `TREND_ABSENT` to
   * leave its stream alone), with `trials[i]` trials behind a rate or a
   * correlation (NaN: unknown); its stream's state is row i of `states`
   * (`TREND_STATE.length` f64s, zeros for a new stream), updated in place. Writes
   * `TREND_OUTPUTS.length` outputs per observation and its flags
   * (`TREND_FLAGS`). Throws `ERR_RFTFM_DETECT_SHAPE` (nothing written) for
   * lengths that disagree or an unknown code.
   */
  trendStep(
    states: Float64Array,
    values: Float64Array,
    codes: Int32Array,
    trials: Float64Array,
    outputs: Float64Array,
    flags: Int32Array,
  ): void;
}

/** The trend code's constants, generated from layout/trend.json `code`: the code of a
 *  signal not reported at this step (its trend stream is left alone), and the
 *  direction bits (a lasting rise, fall may alarm). */
export { TREND_ABSENT, TREND_MAY_FALL, TREND_MAY_RISE } from "./generated/trend.js";

/** Settings of `priorAccumulate`. */
export interface PriorAccumulation {
  /** Slack: the |z| a healthy run may keep up for ever. */
  readonly k: number;
  /** Largest |z| one step adds. */
  readonly clip: number;
  /** Decision interval. */
  readonly h: number;
}
