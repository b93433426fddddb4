// Per-group statistics of one step (GRPO groups: the samples of one prompt),
// summarised into the step-level `group.*` features. Mirrors
// native/src/scan/groups.rs.
//
// Groups are visited in ascending id order, rows of a group in row order, as
// Rust does, so the result does not depend on how the trainer laid the rows out
// and the sums run in the same order on both backends.

import { maxAbs, meanStd, lastStd } from "./moments";
import {
  STEP_GROUP_COUNT,
  STEP_GROUP_SIZE_MEAN,
  STEP_GROUP_SIZE_MIN,
  STEP_GROUP_SIZE_MAX,
  STEP_GROUP_REWARD_MEAN_STD,
  STEP_GROUP_REWARD_STD_MEAN,
  STEP_GROUP_ZERO_VAR_SHARE,
  STEP_GROUP_ADV_CENTER_ABS_MEAN,
  STEP_GROUP_ADV_CENTER_ABS_MAX,
  STEP_GROUP_ADV_SCALE_MEAN,
  STEP_GROUP_ADV_SCALE_MAX,
  STEP_GROUP_PROMPT_MISMATCH_SHARE,
} from "../generated/layout";

/** Radix sort digits of the 32-bit keys: 8 bits each, so the four histograms fit in 4 KiB. */
const DIGIT_BITS: u32 = 8;
const DIGITS: i32 = 4;
const BUCKETS: i32 = 1 << DIGIT_BITS;

/** A column pointer that stands for an absent column (heap pointers are never 0). */
export const ABSENT: usize = 0;

/** Scratch buffers sized for the largest step of a batch, so a batch allocates
 *  once. Every buffer is a separate heap block freed by `free`. */
@unmanaged
export class GroupScratch {
  /** Row indices (u32) of the step in visiting order. */
  order: usize;
  /** Second u32 buffer the radix sort scatters into. */
  spare: usize;
  /** DIGITS x BUCKETS u32 histograms of the sort keys. */
  counts: usize;
  /** Finite values (f64) of the current group. */
  values: usize;
  /** Per-group summaries (f64, at most one per row). */
  rewardMeans: usize;
  rewardStds: usize;
  advCenters: usize;
  advScales: usize;

  constructor(maxRows: i32) {
    const u32s = <usize>maxRows << 2;
    const f64s = <usize>maxRows << 3;
    this.order = heap.alloc(u32s);
    this.spare = heap.alloc(u32s);
    this.counts = heap.alloc(<usize>(DIGITS * BUCKETS) << 2);
    this.values = heap.alloc(f64s);
    this.rewardMeans = heap.alloc(f64s);
    this.rewardStds = heap.alloc(f64s);
    this.advCenters = heap.alloc(f64s);
    this.advScales = heap.alloc(f64s);
  }

  free(): void {
    heap.free(this.order);
    heap.free(this.spare);
    heap.free(this.counts);
    heap.free(this.values);
    heap.free(this.rewardMeans);
    heap.free(this.rewardStds);
    heap.free(this.advCenters);
    heap.free(this.advScales);
    heap.free(changetype<usize>(this));
  }
}

// @ts-ignore: decorator
@inline
function groupOf(groups: usize, row: u32): i32 {
  return load<i32>(groups + (<usize>row << 2));
}

// @ts-ignore: decorator
@inline
function orderAt(order: usize, i: i32): u32 {
  return load<u32>(order + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline
function pushF64(buffer: usize, len: i32, x: f64): i32 {
  store<f64>(buffer + (<usize>len << 3), x);
  return len + 1;
}

/** The id as an unsigned key with the same order: flipping the sign bit maps
 *  i32::MIN..i32::MAX onto 0..u32::MAX. */
// @ts-ignore: decorator
@inline
function sortKey(id: i32): u32 {
  return <u32>id ^ 0x80000000;
}

function isNonDecreasing(groups: usize, b: i32): bool {
  for (let i = 1; i < b; i++) {
    if (load<i32>(groups + (<usize>(i - 1) << 2)) > load<i32>(groups + (<usize>i << 2))) return false;
  }
  return true;
}

// @ts-ignore: decorator
@inline
function digitOf(key: u32, d: i32): usize {
  return <usize>((key >> (<u32>d * DIGIT_BITS)) & <u32>(BUCKETS - 1));
}

/** Sorts the rows 0..b stably by group id (an LSD radix sort that skips the
 *  digits all keys share); returns the buffer holding the sorted row indices:
 *  s.order or s.spare, whichever the last pass wrote. */
function sortRowsByGroup(groups: usize, b: i32, s: GroupScratch): usize {
  // One pass counts every digit's buckets; then one scatter pass per digit.
  const counts = s.counts;
  memory.fill(counts, 0, <usize>(DIGITS * BUCKETS) << 2);
  for (let r = 0; r < b; r++) {
    const key = sortKey(groupOf(groups, r));
    store<u32>(s.order + (<usize>r << 2), r);
    for (let d = 0; d < DIGITS; d++) {
      const slot = counts + ((<usize>(d * BUCKETS) + digitOf(key, d)) << 2);
      store<u32>(slot, load<u32>(slot) + 1);
    }
  }
  let from = s.order;
  let to = s.spare;
  const firstKey = sortKey(groupOf(groups, 0));
  for (let d = 0; d < DIGITS; d++) {
    const histogram = counts + (<usize>(d * BUCKETS) << 2);
    if (load<u32>(histogram + (digitOf(firstKey, d) << 2)) == <u32>b) continue;
    toStarts(histogram);
    for (let i = 0; i < b; i++) {
      const row = orderAt(from, i);
      const slot = histogram + (digitOf(sortKey(groupOf(groups, row)), d) << 2);
      const at = load<u32>(slot);
      store<u32>(to + (<usize>at << 2), row);
      store<u32>(slot, at + 1);
    }
    const written = to;
    to = from;
    from = written;
  }
  return from;
}

/** Turns bucket counts into each bucket's first output index (exclusive prefix sums). */
function toStarts(histogram: usize): void {
  let total: u32 = 0;
  for (let i = 0; i < BUCKETS; i++) {
    const slot = histogram + (<usize>i << 2);
    const count = load<u32>(slot);
    store<u32>(slot, total);
    total += count;
  }
}

/** Bounds of the last `collectFinite` call: extra return values without a tuple. */
let collectedLo: f64 = Infinity;
let collectedHi: f64 = -Infinity;

/** Copies the finite values of `column` at the `size` row indices `rows` into
 *  `into`; returns how many, their min and max going to collectedLo/Hi. */
function collectFinite(column: usize, rows: usize, size: i32, into: usize): i32 {
  let n = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < size; i++) {
    const x = load<f64>(column + (<usize>orderAt(rows, i) << 3));
    if (isFinite<f64>(x)) {
      n = pushF64(into, n, x);
      // Plain comparisons stand in for Rust's f64::min/max: the sign of a zero
      // bound may differ, but bounds are only used through abs and ==.
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  collectedLo = lo;
  collectedHi = hi;
  return n;
}

function boundsMaxAbs(): f64 {
  return max<f64>(abs<f64>(collectedLo), abs<f64>(collectedHi));
}

function meanOf(values: usize, n: i32): f64 {
  return meanStd(values, n, maxAbs(values, n));
}

/** Largest of `n` finite values; NaN when n == 0. */
function maxOf(values: usize, n: i32): f64 {
  let m = NaN;
  for (let i = 0; i < n; i++) {
    const x = load<f64>(values + (<usize>i << 3));
    if (isNaN<f64>(m) || x > m) m = x;
  }
  return m;
}

/** Whether the last `promptMix` call's group had every prompt id known. */
let promptsKnown: bool = false;

/** Whether the `size` rows of a group (row indices `rows`) carry more than one
 *  prompt id; promptsKnown says whether all were known (native prompt_mix).
 *  Ids are whole numbers held as f64; a non-finite id is unknown. */
function promptMix(prompts: usize, rows: usize, size: i32): bool {
  const first = load<f64>(prompts + (<usize>orderAt(rows, 0) << 3));
  let mixed = false;
  for (let i = 0; i < size; i++) {
    const p = load<f64>(prompts + (<usize>orderAt(rows, i) << 3));
    if (!isFinite<f64>(p)) {
      promptsKnown = false;
      return false;
    }
    if (p != first) mixed = true;
  }
  promptsKnown = true;
  return mixed;
}

/** Writes the `group.*` features of one step into the output row `out`.
 *  `groups` holds the step's `b` group ids; `prompts` its prompt ids, `reward`
 *  and `advantage` its columns, or ABSENT. */
export function groupFeatures(
  groups: usize,
  prompts: usize,
  b: i32,
  reward: usize,
  advantage: usize,
  out: usize,
  s: GroupScratch,
): void {
  store<f64>(out + (<usize>STEP_GROUP_COUNT << 3), 0.0);
  if (b == 0) return;
  let order = s.order;
  if (isNonDecreasing(groups, b)) {
    for (let r = 0; r < b; r++) store<u32>(order + (<usize>r << 2), r);
  } else {
    order = sortRowsByGroup(groups, b, s);
  }
  let rewarded = 0; // groups with a finite reward: length of s.rewardMeans and s.rewardStds
  let centers = 0; // length of s.advCenters
  let scales = 0; // length of s.advScales
  let count = 0;
  let sizeMin = i32.MAX_VALUE;
  let sizeMax = 0;
  let zeroVar = 0;
  let multi = 0;
  let known = 0;
  let mixed = 0;

  let start = 0;
  while (start < b) {
    const id = groupOf(groups, orderAt(order, start));
    let end = start + 1;
    while (end < b && groupOf(groups, orderAt(order, end)) == id) end++;
    const rows = order + (<usize>start << 2);
    const size = end - start;
    count++;
    sizeMin = min<i32>(sizeMin, size);
    sizeMax = max<i32>(sizeMax, size);
    if (size >= 2) multi++;
    if (prompts != ABSENT) {
      if (promptMix(prompts, rows, size)) mixed++;
      if (promptsKnown) known++;
    }
    if (reward != ABSENT) {
      const n = collectFinite(reward, rows, size, s.values);
      if (n > 0) {
        store<f64>(s.rewardMeans + (<usize>rewarded << 3), meanStd(s.values, n, boundsMaxAbs()));
        store<f64>(s.rewardStds + (<usize>rewarded << 3), lastStd);
        rewarded++;
      }
      if (size >= 2 && n == size && collectedLo == collectedHi) zeroVar++;
    }
    if (advantage != ABSENT) {
      const n = collectFinite(advantage, rows, size, s.values);
      if (n > 0) {
        centers = pushF64(s.advCenters, centers, abs<f64>(meanStd(s.values, n, boundsMaxAbs())));
        if (n >= 2) scales = pushF64(s.advScales, scales, lastStd);
      }
    }
    start = end;
  }

  store<f64>(out + (<usize>STEP_GROUP_COUNT << 3), <f64>count);
  store<f64>(out + (<usize>STEP_GROUP_SIZE_MEAN << 3), <f64>b / <f64>count);
  store<f64>(out + (<usize>STEP_GROUP_SIZE_MIN << 3), <f64>sizeMin);
  store<f64>(out + (<usize>STEP_GROUP_SIZE_MAX << 3), <f64>sizeMax);
  if (prompts != ABSENT && known > 0) {
    store<f64>(out + (<usize>STEP_GROUP_PROMPT_MISMATCH_SHARE << 3), <f64>mixed / <f64>known);
  }
  if (reward != ABSENT) {
    meanStd(s.rewardMeans, rewarded, maxAbs(s.rewardMeans, rewarded));
    store<f64>(out + (<usize>STEP_GROUP_REWARD_MEAN_STD << 3), lastStd);
    store<f64>(out + (<usize>STEP_GROUP_REWARD_STD_MEAN << 3), meanOf(s.rewardStds, rewarded));
    if (multi > 0) store<f64>(out + (<usize>STEP_GROUP_ZERO_VAR_SHARE << 3), <f64>zeroVar / <f64>multi);
  }
  if (advantage != ABSENT) {
    store<f64>(out + (<usize>STEP_GROUP_ADV_CENTER_ABS_MEAN << 3), meanOf(s.advCenters, centers));
    store<f64>(out + (<usize>STEP_GROUP_ADV_CENTER_ABS_MAX << 3), maxOf(s.advCenters, centers));
    store<f64>(out + (<usize>STEP_GROUP_ADV_SCALE_MEAN << 3), meanOf(s.advScales, scales));
    store<f64>(out + (<usize>STEP_GROUP_ADV_SCALE_MAX << 3), maxOf(s.advScales, scales));
  }
}
