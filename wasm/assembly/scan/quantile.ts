// Quantiles by selection (no full sort), linear interpolation between order
// statistics ("type 7": h = (n-1)p, q = v[floor h] + frac(h) (v[floor h + 1] - v[floor h])).
// Mirrors native/src/scan/quantile.rs. Order statistics are exact whatever the
// selection algorithm, so this introselect yields the same values as Rust's
// `select_nth_unstable_by`. Values hold no NaN and no -0 (the caller
// normalises -0 to 0), so plain comparisons are a total order.

/** Quantiles at the `count` ascending probabilities `ps` of the `n` finite
 *  values at `values` (n > 0), written to `out`. `values` is reordered. */
export function quantiles(values: usize, n: i32, ps: usize, count: i32, out: usize): void {
  // Elements right of an already selected index are >= it, so each later
  // (larger) quantile only needs to search the part right of the previous one.
  let start = 0;
  for (let i = 0; i < count; i++) {
    const h = <f64>(n - 1) * load<f64>(ps + (<usize>i << 3));
    const lo = <i32>floor<f64>(h);
    const frac = h - <f64>lo;
    if (lo >= start) {
      selectNth(values, start, n - 1, lo);
      start = lo;
    }
    const a = at(values, lo);
    const b = frac > 0.0 ? minOf(values, lo + 1, n) : a;
    store<f64>(out + (<usize>i << 3), a + frac * (b - a));
  }
}

// @ts-ignore: decorator
@inline
function at(values: usize, i: i32): f64 {
  return load<f64>(values + (<usize>i << 3));
}

// @ts-ignore: decorator
@inline
function swap(values: usize, i: i32, j: i32): void {
  const pi = values + (<usize>i << 3);
  const pj = values + (<usize>j << 3);
  const t = load<f64>(pi);
  store<f64>(pi, load<f64>(pj));
  store<f64>(pj, t);
}

/** Smallest of values[from..to]. */
function minOf(values: usize, from: i32, to: i32): f64 {
  let m = Infinity;
  for (let i = from; i < to; i++) {
    const x = at(values, i);
    if (x < m) m = x;
  }
  return m;
}

/** Ranges this short are finished by insertion sort. */
const SMALL: i32 = 16;
/** From this length on the pivot is a median of three medians of three. */
const NINTHER: i32 = 64;

/** Reorders values[left..=right] so that index k holds the value it would hold
 *  sorted, with nothing larger to its left and nothing smaller to its right.
 *  Introselect: quickselect with a median-of-3 (ninther) pivot and a branchless
 *  partition; past 2 log2(n) partitions (adversarial input) it heapsorts what is
 *  left, which bounds the cost at O(n log n). */
function selectNth(values: usize, left: i32, right: i32, k: i32): void {
  let budget = 2 * (32 - clz<i32>(right - left + 1));
  // Every value in values[left..=right] is >= lowerBound once a pivot has been
  // passed on the left.
  let hasLowerBound = false;
  let lowerBound = 0.0;
  while (right - left >= SMALL) {
    if (budget-- == 0) {
      heapsort(values, left, right);
      return;
    }
    const p = pivotIndex(values, left, right);
    const pivot = at(values, p);
    if (hasLowerBound && pivot == lowerBound) {
      // The pivot is the range's minimum, maybe repeated many times: put all its
      // copies first in one pass, or runs of duplicates would take one pass each.
      const equalEnd = partitionBelow(values, left, right + 1, pivot, true);
      if (k < equalEnd) return;
      left = equalEnd;
      continue;
    }
    const j = partitionAround(values, left, right, p);
    if (j == k) return;
    if (j > k) {
      right = j - 1;
    } else {
      left = j + 1;
      hasLowerBound = true;
      lowerBound = pivot;
    }
  }
  insertionSort(values, left, right);
}

/** Index of a pivot for values[left..=right] (at least SMALL elements): the
 *  median of three samples, each a median of three for longer ranges. */
function pivotIndex(values: usize, left: i32, right: i32): i32 {
  const n = right - left + 1;
  const step = n >> 3;
  const a = left + step;
  const b = left + (n >> 1);
  const c = right - step;
  if (n < NINTHER) return median3(values, a, b, c);
  return median3(
    values,
    median3(values, a - step, a, a + step),
    median3(values, b - step, b, b + step),
    median3(values, c - step, c, c + step),
  );
}

/** Whichever of indices a, b, c holds the middle value. */
function median3(values: usize, a: i32, b: i32, c: i32): i32 {
  const x = at(values, a);
  const y = at(values, b);
  const z = at(values, c);
  if (x < y) {
    if (y < z) return b;
    return x < z ? c : a;
  }
  if (x < z) return a;
  return y < z ? c : b;
}

/** Partitions values[left..=right] around the value at index p; returns the
 *  index that value ends at, with smaller values left of it and values at
 *  least as large right of it. */
function partitionAround(values: usize, left: i32, right: i32, p: i32): i32 {
  // Park the pivot at the end, partition the rest, move it in between.
  const pivot = at(values, p);
  swap(values, p, right);
  const j = partitionBelow(values, left, right, pivot, false);
  swap(values, j, right);
  return j;
}

/** Moves the values of values[left..end) below `pivot` (or equal to it, when
 *  `orEqual`) to the front; returns where the others start. Lomuto's scheme
 *  without branches: every element is swapped and the comparison only decides
 *  whether the boundary advances, whereas branching on it would mispredict about
 *  half the time on unordered data. */
function partitionBelow(values: usize, left: i32, end: i32, pivot: f64, orEqual: bool): i32 {
  let lt = values + (<usize>left << 3);
  const stop = values + (<usize>end << 3);
  for (let p = lt; p < stop; p += 8) {
    const x = load<f64>(p);
    store<f64>(p, load<f64>(lt));
    store<f64>(lt, x);
    lt += select<usize>(8, 0, orEqual ? x <= pivot : x < pivot);
  }
  return <i32>((lt - values) >> 3);
}

/** Sorts the short range values[left..=right] ascending in place. */
function insertionSort(values: usize, left: i32, right: i32): void {
  for (let i = left + 1; i <= right; i++) {
    const x = at(values, i);
    let j = i - 1;
    while (j >= left && at(values, j) > x) {
      store<f64>(values + (<usize>(j + 1) << 3), at(values, j));
      j--;
    }
    store<f64>(values + (<usize>(j + 1) << 3), x);
  }
}

/** Sorts values[left..=right] ascending in place. */
function heapsort(values: usize, left: i32, right: i32): void {
  const base = values + (<usize>left << 3);
  const n = right - left + 1;
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(base, i, n);
  for (let end = n - 1; end > 0; end--) {
    swap(base, 0, end);
    siftDown(base, 0, end);
  }
}

/** Restores the max-heap property below `root` in the heap base[0..n). */
function siftDown(base: usize, root: i32, n: i32): void {
  const x = at(base, root);
  let i = root;
  while (true) {
    let child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && at(base, child + 1) > at(base, child)) child++;
    if (!(at(base, child) > x)) break;
    store<f64>(base + (<usize>i << 3), at(base, child));
    i = child;
  }
  store<f64>(base + (<usize>i << 3), x);
}
