// Mean, standard deviation and correlation that neither overflow nor underflow.
// Mirrors native/src/scan/moments.rs operation for operation (the same
// four-lane sums, the same power-of-two scaling), so both backends produce
// the same bits. Slices are (pointer, length) pairs over f64 values.

/** Power of two `k` such that `maxAbs * k` lies in [1, 4) (in [2^-52, 1) for
 *  subnormal `maxAbs`); 1 for zero or non-finite input. */
export function pow2Scale(maxAbs: f64): f64 {
  if (maxAbs == 0.0 || !isFinite<f64>(maxAbs)) return 1.0;
  const biased = <i32>((reinterpret<u64>(maxAbs) >> 52) & 0x7ff);
  const exponent = min<i32>(max<i32>(biased - 1023, -1022), 1022);
  return reinterpret<f64>(<u64>(1023 - exponent) << 52);
}

/** Standard deviation computed by the last `meanStd` call: a second return
 *  value without allocating a tuple. */
export let lastStd: f64 = NaN;

/** Sum of x * k (or, with `center` finite, of (x * k - center)^2) over the `n`
 *  values at `values`, in four interleaved lanes: element i goes to lane i % 4,
 *  the tail after the last full quadruple to a fifth sum, combined as
 *  ((l0 + l1) + (l2 + l3)) + tail, exactly as Rust's `lane_sum`. */
// @ts-ignore: decorator
@inline
function laneSum(values: usize, n: i32, k: f64, squares: bool, center: f64): f64 {
  let l0 = 0.0, l1 = 0.0, l2 = 0.0, l3 = 0.0;
  const quadEnd = values + (<usize>(n & ~3) << 3);
  const end = values + (<usize>n << 3);
  let p = values;
  if (squares) {
    for (; p < quadEnd; p += 32) {
      const d0 = load<f64>(p) * k - center;
      const d1 = load<f64>(p, 8) * k - center;
      const d2 = load<f64>(p, 16) * k - center;
      const d3 = load<f64>(p, 24) * k - center;
      l0 += d0 * d0;
      l1 += d1 * d1;
      l2 += d2 * d2;
      l3 += d3 * d3;
    }
  } else {
    for (; p < quadEnd; p += 32) {
      l0 += load<f64>(p) * k;
      l1 += load<f64>(p, 8) * k;
      l2 += load<f64>(p, 16) * k;
      l3 += load<f64>(p, 24) * k;
    }
  }
  let rest = 0.0;
  for (; p < end; p += 8) {
    const x = load<f64>(p) * k;
    if (squares) {
      const d = x - center;
      rest += d * d;
    } else {
      rest += x;
    }
  }
  return ((l0 + l1) + (l2 + l3)) + rest;
}

/** Population mean of the `n` finite values at `values`, whose largest
 *  magnitude is `maxAbs`; their standard deviation goes to `lastStd`.
 *  NaN (both) for n == 0. */
export function meanStd(values: usize, n: i32, maxAbs: f64): f64 {
  if (n == 0) {
    lastStd = NaN;
    return NaN;
  }
  const count = <f64>n;
  const k = pow2Scale(maxAbs);
  const scaledMean = laneSum(values, n, k, false, 0.0) / count;
  const squares = laneSum(values, n, k, true, scaledMean);
  lastStd = sqrt<f64>(squares / count) / k;
  return scaledMean / k;
}

/** Largest magnitude among the `n` values at `values` (0 when n == 0). */
export function maxAbs(values: usize, n: i32): f64 {
  let m = 0.0;
  const end = values + (<usize>n << 3);
  for (let p = values; p < end; p += 8) {
    const a = abs<f64>(load<f64>(p));
    if (a > m) m = a;
  }
  return m;
}

/** Pearson correlation of the `n`-row columns `x` and `y` over the rows where
 *  both are finite. NaN when fewer than two such rows exist or either side is
 *  constant. */
export function correlation(x: usize, y: usize, n: i32): f64 {
  const bytes = <usize>n << 3;
  let pairs = 0;
  let mx = 0.0;
  let my = 0.0;
  for (let i: usize = 0; i < bytes; i += 8) {
    const a = load<f64>(x + i);
    const b = load<f64>(y + i);
    if (isFinite<f64>(a) && isFinite<f64>(b)) {
      pairs++;
      if (abs<f64>(a) > mx) mx = abs<f64>(a);
      if (abs<f64>(b) > my) my = abs<f64>(b);
    }
  }
  if (pairs < 2) return NaN;
  const kx = pow2Scale(mx);
  const ky = pow2Scale(my);
  let sx = 0.0;
  let sy = 0.0;
  for (let i: usize = 0; i < bytes; i += 8) {
    const a = load<f64>(x + i);
    const b = load<f64>(y + i);
    if (isFinite<f64>(a) && isFinite<f64>(b)) {
      sx += a * kx;
      sy += b * ky;
    }
  }
  const cx = sx / <f64>pairs;
  const cy = sy / <f64>pairs;
  let sxy = 0.0;
  let sxx = 0.0;
  let syy = 0.0;
  for (let i: usize = 0; i < bytes; i += 8) {
    const a = load<f64>(x + i);
    const b = load<f64>(y + i);
    if (isFinite<f64>(a) && isFinite<f64>(b)) {
      const dx = a * kx - cx;
      const dy = b * ky - cy;
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
  }
  if (sxx == 0.0 || syy == 0.0) return NaN;
  return clampUnit(sxy / sqrt<f64>(sxx * syy));
}

/** Rust's `f64::clamp(-1.0, 1.0)`: NaN passes through unchanged. */
// @ts-ignore: decorator
@inline
function clampUnit(r: f64): f64 {
  if (r < -1.0) return -1.0;
  if (r > 1.0) return 1.0;
  return r;
}
