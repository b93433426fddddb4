// The trajectory scanner: one pass over each step's trajectory tensor yields
// the step's summary features. Mirrors native/src/scan/mod.rs; the batch layout
// is the same (see there):
// - values: columns x rows f64, column-major;
// - groups: rows i32 group ids;
// - prompts: rows f64 prompt ids (whole numbers; NaN: unknown for that row);
// - offsets: steps + 1 u32 row offsets; step s owns rows offsets[s]..offsets[s + 1];
// - present: steps x (columns + 2) u8 flags; slot `columns` is the group
//   column, slot `columns + 1` the prompt-id column;
// - out: steps x featureCount(columns) f64, row-major.
// Buffers are addresses in linear memory; their lengths follow from the shape,
// which the JS side used to allocate them.

import { correlation, lastStd, meanStd } from "./moments";
import { quantiles } from "./quantile";
import { ABSENT, GroupScratch, groupFeatures } from "./groups";
import {
  COL_ADVANTAGE,
  COL_CORRECT,
  COL_FORMAT_OK,
  COL_LENGTH,
  COL_REWARD,
  COL_TOOL_CALLS,
  COL_TOOL_ERRORS,
  COL_TRUNCATED,
  N_COLUMNS,
  N_STATS,
  N_STEP,
  STAT_COUNT,
  STAT_MAX,
  STAT_MEAN,
  STAT_MIN,
  STAT_NONFINITE,
  STAT_P10,
  STAT_STD,
  STEP_CORR_ADVANTAGE_REWARD,
  STEP_CORR_REWARD_CORRECT,
  STEP_CORR_REWARD_LENGTH,
  STEP_RATE_FORMAT,
  STEP_RATE_TOOL_ERROR,
  STEP_RATE_TRUNCATION,
  STEP_TRUNC_REWARD_GAP,
  STEP_ROWS,
} from "../generated/layout";

/** scanBatch results. The JS side checks every batch first (src/backend/checks.ts,
 *  in its own words), so these are a defence it reports by number. */
export const SCAN_OK: i32 = 0;
/** columns is below the canonical column count. */
export const SCAN_ERR_COLUMNS: i32 = -1;
/** offsets does not start at 0 or does not end at rows. */
export const SCAN_ERR_OFFSET_BOUNDS: i32 = -2;
/** offsets decreases. */
export const SCAN_ERR_OFFSETS_DECREASE: i32 = -3;

/** Quantiles reported per column, matching STAT_P10, STAT_P50, STAT_P90. */
const QUANTILES = memory.data<f64>([0.1, 0.5, 0.9]);
const N_QUANTILES: i32 = 3;

/** Features per step for a batch with `columns` value columns. */
export function featureCount(columns: i32): i32 {
  return N_STEP + columns * N_STATS;
}

/** A batch: the buffers' addresses and the shape. */
@unmanaged
class Batch {
  values: usize;
  groups: usize;
  prompts: usize;
  offsets: usize;
  present: usize;
  columns: i32;
  rows: i32;

  constructor(
    values: usize,
    groups: usize,
    prompts: usize,
    offsets: usize,
    present: usize,
    columns: i32,
    rows: i32,
  ) {
    this.values = values;
    this.groups = groups;
    this.prompts = prompts;
    this.offsets = offsets;
    this.present = present;
    this.columns = columns;
    this.rows = rows;
  }

  @inline offset(s: i32): u32 {
    return load<u32>(this.offsets + (<usize>s << 2));
  }

  /** Flag `slot` of step `s` in `present` (columns + 2 slots per step). */
  @inline has(s: i32, slot: i32): bool {
    return load<u8>(this.present + <usize>(s * (this.columns + 2) + slot)) != 0;
  }

  /** Column `c` of step `s` (offset(s + 1) - offset(s) values), or ABSENT. */
  column(s: i32, c: i32): usize {
    if (!this.has(s, c)) return ABSENT;
    return this.values + ((<usize>c * <usize>this.rows + <usize>this.offset(s)) << 3);
  }

  /** Group ids of step `s`, or ABSENT. */
  groupIds(s: i32): usize {
    if (!this.has(s, this.columns)) return ABSENT;
    return this.groups + (<usize>this.offset(s) << 2);
  }

  /** Prompt ids of step `s`, or ABSENT. */
  promptIds(s: i32): usize {
    if (!this.has(s, this.columns + 1)) return ABSENT;
    return this.prompts + (<usize>this.offset(s) << 3);
  }
}

/** Checks the shape as Rust's Batch::validate does (lengths excepted: they
 *  follow from the allocation). Returns SCAN_OK or an error code. */
function validate(offsets: usize, columns: i32, steps: i32, rows: i32): i32 {
  if (columns < N_COLUMNS) return SCAN_ERR_COLUMNS;
  if (load<u32>(offsets) != 0 || load<u32>(offsets + (<usize>steps << 2)) != <u32>rows) {
    return SCAN_ERR_OFFSET_BOUNDS;
  }
  for (let s = 0; s < steps; s++) {
    if (load<u32>(offsets + (<usize>s << 2)) > load<u32>(offsets + (<usize>(s + 1) << 2))) {
      return SCAN_ERR_OFFSETS_DECREASE;
    }
  }
  return SCAN_OK;
}

/** Rows in the largest step: the size scratch buffers need. */
function largestStep(offsets: usize, steps: i32): i32 {
  let largest: u32 = 0;
  for (let s = 0; s < steps; s++) {
    largest = max<u32>(largest, load<u32>(offsets + (<usize>(s + 1) << 2)) - load<u32>(offsets + (<usize>s << 2)));
  }
  return <i32>largest;
}

/** Scans every step of the batch, writing featureCount(columns) features per
 *  step into `out`. Features that cannot be computed (absent column, no finite
 *  value) are NaN. Returns SCAN_OK or an error code (nothing written). */
export function scanBatch(
  values: usize,
  groups: usize,
  prompts: usize,
  offsets: usize,
  present: usize,
  columns: i32,
  steps: i32,
  rows: i32,
  out: usize,
): i32 {
  const status = validate(offsets, columns, steps, rows);
  if (status != SCAN_OK) return status;
  const batch = new Batch(values, groups, prompts, offsets, present, columns, rows);
  // Scratch sized by the largest step, allocated once per batch.
  const maxRows = largestStep(offsets, steps);
  const finite = heap.alloc(<usize>maxRows << 3);
  const groupScratch = new GroupScratch(maxRows);
  const width = <usize>featureCount(columns) << 3;
  for (let s = 0; s < steps; s++) {
    scanStep(batch, s, out + <usize>s * width, finite, groupScratch);
  }
  groupScratch.free();
  heap.free(finite);
  heap.free(changetype<usize>(batch));
  return SCAN_OK;
}

// @ts-ignore: decorator
@inline
function setFeature(row: usize, feature: i32, x: f64): void {
  store<f64>(row + (<usize>feature << 3), x);
}

function scanStep(batch: Batch, s: i32, out: usize, finite: usize, groupScratch: GroupScratch): void {
  const width = featureCount(batch.columns);
  for (let i = 0; i < width; i++) setFeature(out, i, NaN);
  const n = <i32>(batch.offset(s + 1) - batch.offset(s));
  setFeature(out, STEP_ROWS, <f64>n);
  for (let c = 0; c < batch.columns; c++) {
    const block = out + (<usize>(N_STEP + c * N_STATS) << 3);
    const column = batch.column(s, c);
    if (column != ABSENT) {
      columnStats(column, n, block, finite);
    } else {
      setFeature(block, STAT_COUNT, 0.0);
      setFeature(block, STAT_NONFINITE, 0.0);
    }
  }
  const reward = batch.column(s, COL_REWARD);
  const advantage = batch.column(s, COL_ADVANTAGE);
  const ids = batch.groupIds(s);
  if (ids != ABSENT) groupFeatures(ids, batch.promptIds(s), n, reward, advantage, out, groupScratch);
  setFeature(out, STEP_CORR_REWARD_LENGTH, correlationOf(reward, batch.column(s, COL_LENGTH), n));
  setFeature(out, STEP_CORR_REWARD_CORRECT, correlationOf(reward, batch.column(s, COL_CORRECT), n));
  setFeature(out, STEP_CORR_ADVANTAGE_REWARD, correlationOf(advantage, reward, n));
  setFeature(out, STEP_RATE_TRUNCATION, nonzeroShareOf(batch.column(s, COL_TRUNCATED), n));
  setFeature(out, STEP_RATE_FORMAT, nonzeroShareOf(batch.column(s, COL_FORMAT_OK), n));
  setFeature(
    out,
    STEP_RATE_TOOL_ERROR,
    toolErrorRateOf(batch.column(s, COL_TOOL_CALLS), batch.column(s, COL_TOOL_ERRORS), n),
  );
  const truncated = batch.column(s, COL_TRUNCATED);
  setFeature(
    out,
    STEP_TRUNC_REWARD_GAP,
    reward != ABSENT && truncated != ABSENT ? truncationRewardGap(reward, truncated, n) : NaN,
  );
}

/** Mean reward of the untruncated rollouts minus that of the truncated ones
 *  (native/src/scan/mod.rs, truncation_reward_gap: the same sums in row order). */
function truncationRewardGap(reward: usize, truncated: usize, n: i32): f64 {
  let kept = 0.0;
  let keptN = 0;
  let cut = 0.0;
  let cutN = 0;
  for (let i = 0; i < n; i++) {
    const r = load<f64>(reward + (<usize>i << 3));
    const t = load<f64>(truncated + (<usize>i << 3));
    if (isFinite<f64>(r) && isFinite<f64>(t)) {
      if (t != 0.0) {
        cut += r;
        cutN++;
      } else {
        kept += r;
        keptN++;
      }
    }
  }
  if (keptN == 0 || cutN == 0) return NaN;
  return kept / <f64>keptN - cut / <f64>cutN;
}

function correlationOf(x: usize, y: usize, n: i32): f64 {
  return x != ABSENT && y != ABSENT ? correlation(x, y, n) : NaN;
}

function nonzeroShareOf(column: usize, n: i32): f64 {
  return column != ABSENT ? nonzeroShare(column, n) : NaN;
}

function toolErrorRateOf(calls: usize, errors: usize, n: i32): f64 {
  return calls != ABSENT && errors != ABSENT ? toolErrorRate(calls, errors, n) : NaN;
}

/** count, nonfinite, mean, std, min, max and quantiles of the `n` values of one
 *  column of one step, written to the column's block `out`. */
function columnStats(values: usize, n: i32, out: usize, finite: usize): void {
  let count = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const raw = load<f64>(values + (<usize>i << 3));
    if (isFinite<f64>(raw)) {
      // + 0.0 turns -0.0 into 0.0, so selection order is plain numeric order.
      const x = raw + 0.0;
      store<f64>(finite + (<usize>count << 3), x);
      count++;
      // Plain comparisons equal Rust's f64::min/max here: x is finite, never -0.
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  setFeature(out, STAT_COUNT, <f64>count);
  setFeature(out, STAT_NONFINITE, <f64>(n - count));
  if (count == 0) return;
  setFeature(out, STAT_MEAN, meanStd(finite, count, max<f64>(abs<f64>(lo), abs<f64>(hi))));
  setFeature(out, STAT_STD, lastStd);
  setFeature(out, STAT_MIN, lo);
  setFeature(out, STAT_MAX, hi);
  quantiles(finite, count, QUANTILES, N_QUANTILES, out + (<usize>STAT_P10 << 3));
}

/** Share of finite values that are not zero (a 0/1 flag column's rate). */
function nonzeroShare(values: usize, n: i32): f64 {
  let finite = 0;
  let nonzero = 0;
  for (let i = 0; i < n; i++) {
    const x = load<f64>(values + (<usize>i << 3));
    if (isFinite<f64>(x)) {
      finite++;
      if (x != 0.0) nonzero++;
    }
  }
  return finite == 0 ? NaN : <f64>nonzero / <f64>finite;
}

/** Failed tool calls over tool calls, over rows where both counts are finite. */
function toolErrorRate(calls: usize, errors: usize, n: i32): f64 {
  let c = 0.0;
  let e = 0.0;
  for (let i = 0; i < n; i++) {
    const a = load<f64>(calls + (<usize>i << 3));
    const b = load<f64>(errors + (<usize>i << 3));
    if (isFinite<f64>(a) && isFinite<f64>(b)) {
      c += a;
      e += b;
    }
  }
  return c > 0.0 ? e / c : NaN;
}
