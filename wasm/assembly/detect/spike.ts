// Spike detection. Mirrors native/src/detect/spike.rs.

import { FLAG_SPIKE } from "../generated/detect";

/** FLAG_SPIKE when |z| exceeds `threshold`, else 0. */
export function check(z: f64, threshold: f64): i32 {
  return abs<f64>(z) > threshold ? FLAG_SPIKE : 0;
}
