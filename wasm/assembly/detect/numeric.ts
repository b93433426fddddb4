// max, min and clamp with the semantics of Rust's f64::max, f64::min and
// f64::clamp, which the native twin uses: max and min ignore a NaN operand
// (IEEE maxNum), clamp keeps a NaN value. AssemblyScript's max and min (wasm's
// f64.max and f64.min) return NaN instead, which made the two builds differ
// once an overflowing input (±DBL_MAX) turned a sum into NaN.

/** The larger of a and b; the other one when one is NaN. */
export function maxNum(a: f64, b: f64): f64 {
  if (isNaN<f64>(a)) return b;
  if (isNaN<f64>(b)) return a;
  return max<f64>(a, b);
}

/** The smaller of a and b; the other one when one is NaN. */
export function minNum(a: f64, b: f64): f64 {
  if (isNaN<f64>(a)) return b;
  if (isNaN<f64>(b)) return a;
  return min<f64>(a, b);
}

/** x within [lo, hi]; NaN stays NaN. */
export function clampNum(x: f64, lo: f64, hi: f64): f64 {
  if (isNaN<f64>(x)) return x;
  return min<f64>(max<f64>(x, lo), hi);
}
