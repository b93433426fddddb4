// Two-sided Page-Hinkley test against the mean since the stream's last change.
// Mirrors native/src/detect/page_hinkley.rs.

import { clampNum } from "./numeric";
import { twoSided } from "./cusum";
import { field, setField } from "./mod";
import {
  FLAG_DRIFT_DOWN,
  FLAG_DRIFT_UP,
  OPT_CLIP,
  OPT_PH_DELTA,
  OPT_PH_LAMBDA,
  STATE_PH_COUNT,
  STATE_PH_DOWN,
  STATE_PH_MEAN,
  STATE_PH_UP,
} from "../generated/detect";

/** Accumulates the deviation of `x` from the mean since the last change; returns the drift flags. */
export function update(s: usize, x: f64, scale: f64, o: usize): i32 {
  if (field(s, STATE_PH_COUNT) == 0.0) return 0;
  const clip = field(o, OPT_CLIP);
  const delta = field(o, OPT_PH_DELTA);
  const lambda = field(o, OPT_PH_LAMBDA);
  const u = clampNum((x - field(s, STATE_PH_MEAN)) / scale, -clip, clip);
  return twoSided(s, STATE_PH_UP, STATE_PH_DOWN, u, delta, lambda, FLAG_DRIFT_UP, FLAG_DRIFT_DOWN);
}

/** Adds the finite observation `x` to the mean since the last change. */
export function learn(s: usize, x: f64): void {
  const n = field(s, STATE_PH_COUNT) + 1.0;
  setField(s, STATE_PH_COUNT, n);
  setField(s, STATE_PH_MEAN, field(s, STATE_PH_MEAN) + (x - field(s, STATE_PH_MEAN)) / n);
}
