/**
 * The kernel interface: one TypeScript type that both backends (the napi-rs
 * addon in `native/` and the AssemblyScript build in `wasm/`) satisfy.
 *
 * Work crosses the boundary a batch at a time, never a trajectory at a time.
 * A batch holds many steps in flat buffers that the kernel reads in place:
 * plain typed arrays for native (borrowed as Rust slices), views over the wasm
 * module's linear memory for wasm. Whoever fills a batch writes straight into
 * these buffers, so nothing is copied on the way into the kernel.
 */
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
 * - `offsets`: `steps + 1` row offsets; step `s` owns rows `offsets[s] .. offsets[s + 1]`.
 * - `present`: `steps x (columns + 1)` flags (1 = the step has that column);
 *   slot `columns` of each step is the group column.
 * - `out`: `steps x featureCount(columns)` features, written by `scan`.
 *
 * For the wasm backend the arrays are views over linear memory that the getters
 * re-create when memory grows: read them from the batch each time, do not keep them.
 */
export interface ScanBatch extends BatchShape {
  readonly values: Float64Array;
  readonly groups: Int32Array;
  readonly offsets: Uint32Array;
  readonly present: Uint8Array;
  readonly out: Float64Array;
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
}

/** Prefix of the message of an error thrown for a malformed batch, on both backends. */
export const SCAN_SHAPE_ERROR = "ERR_RFTFM_SCAN_SHAPE";
