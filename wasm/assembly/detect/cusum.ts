// Two-sided tabular CUSUM on the clipped z-score. Mirrors native/src/detect/cusum.rs.

import { field, setField } from "./mod";
import { FLAG_SHIFT_DOWN, FLAG_SHIFT_UP, OPT_CUSUM_H, OPT_CUSUM_K, STATE_CUSUM_DOWN, STATE_CUSUM_UP } from "../generated/detect";

/** Accumulates the clipped z of one observation; returns the shift flags. */
export function update(s: usize, z: f64, o: usize): i32 {
  return twoSided(s, STATE_CUSUM_UP, STATE_CUSUM_DOWN, z, field(o, OPT_CUSUM_K), field(o, OPT_CUSUM_H), FLAG_SHIFT_UP, FLAG_SHIFT_DOWN);
}

/** x when above 0, else 0 (NaN included). */
function positive(x: f64): f64 {
  return x > 0.0 ? x : 0.0;
}

/** One step of a pair of one-sided cumulative sums, the recursion CUSUM and
 *  Page-Hinkley share (Rust `two_sided`): `up = max(0, up + u - slack)`,
 *  `down = max(0, down - u - slack)` in the state slots; returns `flagUp` when
 *  `up` exceeds `threshold`, `flagDown` when `down` does. */
export function twoSided(
  s: usize,
  upSlot: i32,
  downSlot: i32,
  u: f64,
  slack: f64,
  threshold: f64,
  flagUp: i32,
  flagDown: i32,
): i32 {
  // positive, not max: on a NaN sum (an overflowed input) both builds give 0 (Rust's f64::max ignores NaN, max does not).
  const up = positive(field(s, upSlot) + u - slack);
  const down = positive(field(s, downSlot) - u - slack);
  setField(s, upSlot, up);
  setField(s, downSlot, down);
  let flags = 0;
  if (up > threshold) flags |= flagUp;
  if (down > threshold) flags |= flagDown;
  return flags;
}
