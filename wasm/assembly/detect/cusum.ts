// Two-sided tabular CUSUM on the clipped z-score. Mirrors native/src/detect/cusum.rs.

import { field, setField } from "./mod";
import { FLAG_SHIFT_DOWN, FLAG_SHIFT_UP, OPT_CUSUM_H, OPT_CUSUM_K, STATE_CUSUM_DOWN, STATE_CUSUM_UP } from "../generated/detect";

/** Accumulates the clipped z of one observation; returns the shift flags. */
export function update(s: usize, z: f64, o: usize): i32 {
  const k = field(o, OPT_CUSUM_K);
  const h = field(o, OPT_CUSUM_H);
  const up = max<f64>(field(s, STATE_CUSUM_UP) + z - k, 0.0);
  const down = max<f64>(field(s, STATE_CUSUM_DOWN) - z - k, 0.0);
  setField(s, STATE_CUSUM_UP, up);
  setField(s, STATE_CUSUM_DOWN, down);
  let flags = 0;
  if (up > h) flags |= FLAG_SHIFT_UP;
  if (down > h) flags |= FLAG_SHIFT_DOWN;
  return flags;
}
