// Range novelty. Mirrors native/src/detect/range.rs (definition there).

/** Novelty of `x` against the range [lo, hi] (0 while the range is empty, lo > hi). */
export function novelty(x: f64, lo: f64, hi: f64, minScale: f64): f64 {
  if (lo > hi) return 0.0;
  const width = maxNum(hi - lo, minScale * maxNum(abs<f64>(hi), 1.0));
  return (maxNum(x - hi, 0.0) + maxNum(lo - x, 0.0)) / width;
}import { maxNum } from "./numeric";

