// Range novelty. Mirrors native/src/detect/range.rs (definition there).

/** Novelty of `x` against the range [lo, hi] (0 while the range is empty, lo > hi). */
export function novelty(x: f64, lo: f64, hi: f64, minScale: f64): f64 {
  if (lo > hi) return 0.0;
  const width = max<f64>(hi - lo, minScale * max<f64>(abs<f64>(hi), 1.0));
  return (max<f64>(x - hi, 0.0) + max<f64>(lo - x, 0.0)) / width;
}
