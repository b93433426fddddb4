// Streaming detectors over many metric streams. Mirrors native/src/detect/mod.rs
// (see there and docs/detectors.md): a stream's state is N_STATE f64s at an
// address, options are the N_OPT f64 option vector at an address, and
// `observe` strings the detectors together in the same order as Rust, so both
// builds round identically.

import { clampNum } from "./numeric";
import { learn as learnBaseline, scale, zScore } from "./baseline";
import { update as updateCusum } from "./cusum";
import { isNonfinite } from "./nonfinite";
import { learn as learnPageHinkley, update as updatePageHinkley } from "./page_hinkley";
import { check as checkSpike } from "./spike";
import {
  FLAG_DRIFT_DOWN,
  FLAG_DRIFT_UP,
  FLAG_NONFINITE,
  FLAG_SHIFT_DOWN,
  FLAG_SHIFT_UP,
  FLAG_WARMUP,
  MAX_STREAMS,
  N_OPT,
  OPT_CLIP,
  OPT_MAX_RUNS,
  OPT_MAX_SIGNALS,
  OPT_RULES,
  OPT_SPIKE,
  OPT_WARMUP,
  OUT_CUSUM_DOWN,
  OUT_CUSUM_UP,
  OUT_LEVEL,
  OUT_PH_DOWN,
  OUT_PH_UP,
  OUT_SCALE,
  OUT_Z,
  RULE_COUNT,
  RULE_FRACTION,
  RULE_POSITIVE,
  RULE_WHOLE,
  STATE_CUSUM_DOWN,
  STATE_CUSUM_UP,
  STATE_LEVEL,
  STATE_COUNT,
  STATE_PH_COUNT,
  STATE_PH_DOWN,
  STATE_PH_MEAN,
  STATE_PH_UP,
} from "../generated/detect";

/** Field `i` of the f64 vector at `p` (a state, an output row or the options). */
// @ts-ignore: decorator
@inline
export function field(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}

// @ts-ignore: decorator
@inline
export function setField(p: usize, i: i32, x: f64): void {
  store<f64>(p + (<usize>i << 3), x);
}

/** Whether `x` satisfies option rule `rule` (RULE_*). */
function obeys(rule: i32, x: f64): bool {
  if (!isFinite<f64>(x)) return false;
  if (rule == RULE_COUNT) return x >= 1.0 && x == Math.trunc(x);
  if (rule == RULE_WHOLE) return x >= 0.0 && x == Math.trunc(x);
  if (rule == RULE_FRACTION) return x > 0.0 && x <= 1.0;
  if (rule == RULE_POSITIVE) return x > 0.0;
  return x >= 0.0;
}

/** The index of the first option at `v` that breaks its rule, or OPT_MAX_SIGNALS
 *  when the bank would hold more than MAX_STREAMS streams; -1 when valid. */
export function invalidOption(v: usize): i32 {
  for (let i = 0; i < N_OPT; i++) {
    if (!obeys(load<i32>(OPT_RULES + (<usize>i << 2)), field(v, i))) return i;
  }
  return field(v, OPT_MAX_RUNS) * field(v, OPT_MAX_SIGNALS) > MAX_STREAMS ? OPT_MAX_SIGNALS : -1;
}

/** Alarms that mark a new regime. */
const CHANGE: i32 = FLAG_SHIFT_UP | FLAG_SHIFT_DOWN | FLAG_DRIFT_UP | FLAG_DRIFT_DOWN;

/** Feeds one observation `x` to the stream state at `s`, writes its outputs to
 *  `row` and returns its flags (options at `o`). Same order as Rust. */
export function observe(s: usize, x: f64, o: usize, row: usize): i32 {
  const sc = scale(s, o);
  setField(row, OUT_LEVEL, field(s, STATE_LEVEL));
  setField(row, OUT_SCALE, sc);
  const armed = field(s, STATE_COUNT) >= field(o, OPT_WARMUP);
  let flags = armed ? 0 : FLAG_WARMUP;
  if (isNonfinite(x)) {
    setField(row, OUT_Z, NaN);
    writeStats(s, row);
    return flags | FLAG_NONFINITE;
  }
  const z = zScore(s, x, sc);
  setField(row, OUT_Z, z);
  if (armed) {
    const clip = field(o, OPT_CLIP);
    const clipped = clampNum(z, -clip, clip);
    flags |= checkSpike(z, field(o, OPT_SPIKE));
    flags |= updateCusum(s, clipped, o);
    flags |= updatePageHinkley(s, x, sc, o);
  }
  writeStats(s, row);
  if ((flags & CHANGE) != 0) newRegime(s, x);
  learnBaseline(s, x, o);
  learnPageHinkley(s, x);
  return flags;
}

/** After a change: the level jumps to `x`, the change detectors start over. */
function newRegime(s: usize, x: f64): void {
  setField(s, STATE_LEVEL, x);
  setField(s, STATE_CUSUM_UP, 0.0);
  setField(s, STATE_CUSUM_DOWN, 0.0);
  setField(s, STATE_PH_COUNT, 0.0);
  setField(s, STATE_PH_MEAN, 0.0);
  setField(s, STATE_PH_UP, 0.0);
  setField(s, STATE_PH_DOWN, 0.0);
}

function writeStats(s: usize, row: usize): void {
  setField(row, OUT_CUSUM_UP, field(s, STATE_CUSUM_UP));
  setField(row, OUT_CUSUM_DOWN, field(s, STATE_CUSUM_DOWN));
  setField(row, OUT_PH_UP, field(s, STATE_PH_UP));
  setField(row, OUT_PH_DOWN, field(s, STATE_PH_DOWN));
}
