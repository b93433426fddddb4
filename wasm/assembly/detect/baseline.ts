// A robust running baseline: EWMA location and scale with Huber-clipped
// residuals. Mirrors native/src/detect/baseline.rs (definitions there).

import { clampNum, maxNum } from "./numeric";
import { field, setField } from "./mod";
import {
  OPT_ALPHA,
  OPT_CLIP,
  OPT_MIN_SCALE,
  OPT_SCALE_FLOOR,
  SPREAD_TO_SIGMA,
  STATE_COUNT,
  STATE_LEVEL,
  STATE_SPREAD,
  Z_MAX,
} from "../generated/detect";

/** The scale an observation is standardized by (state before it). */
export function scale(s: usize, o: usize): f64 {
  const floor = field(o, OPT_MIN_SCALE) * maxNum(abs<f64>(field(s, STATE_LEVEL)), 1.0);
  return maxNum(maxNum(SPREAD_TO_SIGMA * field(s, STATE_SPREAD), floor), field(o, OPT_SCALE_FLOOR));
}

/** Standardized deviation of `x` from the level, within ±Z_MAX; 0 for a stream's first observation. */
export function zScore(s: usize, x: f64, scale: f64): f64 {
  if (field(s, STATE_COUNT) == 0.0) return 0.0;
  return clampNum((x - field(s, STATE_LEVEL)) / scale, -Z_MAX, Z_MAX);
}

/** Learns the finite observation `x`. */
export function learn(s: usize, x: f64, o: usize): void {
  const n = field(s, STATE_COUNT) + 1.0;
  setField(s, STATE_COUNT, n);
  if (n == 1.0) {
    setField(s, STATE_LEVEL, x);
    setField(s, STATE_SPREAD, 0.0);
    return;
  }
  const w = maxNum(field(o, OPT_ALPHA), 1.0 / n);
  let r = x - field(s, STATE_LEVEL);
  // No clipping before the stream has any spread to measure a residual by.
  if (field(s, STATE_SPREAD) > 0.0) {
    const limit = field(o, OPT_CLIP) * scale(s, o);
    r = clampNum(r, -limit, limit);
  }
  setField(s, STATE_LEVEL, field(s, STATE_LEVEL) + w * r);
  setField(s, STATE_SPREAD, field(s, STATE_SPREAD) + w * (abs<f64>(r) - field(s, STATE_SPREAD)));
}
