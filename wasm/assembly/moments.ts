// Mean, standard deviation and correlation that neither overflow nor underflow.
// Mirrors native/src/scan/moments.rs operation for operation (one accumulator,
// values in order, the same power-of-two scaling), so both backends produce
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
  const end = values + (<usize>n << 3);
  let sum = 0.0;
  for (let p = values; p < end; p += 8) {
    sum += load<f64>(p) * k;
  }
  const scaledMean = sum / count;
  let squares = 0.0;
  for (let p = values; p < end; p += 8) {
    const d = load<f64>(p) * k - scaledMean;
    squares += d * d;
  }
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
