// Non-finite detection. Mirrors native/src/detect/nonfinite.rs: NaN and
// ±Infinity are reported and never reach the baseline or the change detectors.

/** Whether an observation is NaN or infinite. */
export function isNonfinite(x: f64): bool {
  return !isFinite<f64>(x);
}
