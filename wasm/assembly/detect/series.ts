// The univariate scorer. Mirrors native/src/detect/series.rs (definition there).
// A scorer is SERIES_BYTES bytes: its options, the stream state and output row,
// then count, mean, var, recent, the range lo, hi, the EWMA smooth and its
// range, and the recent range score.

import { field, observe, setField } from "./mod";
import { novelty } from "./range";
import {
  FLAG_NONFINITE,
  FLAG_WARMUP,
  N_OPT,
  N_OUT,
  N_STATE,
  OPT_CUSUM_H,
  OPT_MIN_SCALE,
  OPT_PH_LAMBDA,
  OPT_SPIKE,
  OUT_CUSUM_DOWN,
  OUT_CUSUM_UP,
  OUT_PH_DOWN,
  OUT_PH_UP,
  OUT_Z,
  RANGE_HALF,
  SERIES_ALPHA,
  SERIES_DECAY,
  SERIES_EPSILON,
  SERIES_WARMUP,
  SMOOTH_ALPHA,
  SMOOTH_RANGE_HALF,
} from "../generated/detect";

const STATE: i32 = N_OPT;
const ROW: i32 = STATE + N_STATE;
const COUNT: i32 = ROW + N_OUT;
const MEAN: i32 = COUNT + 1;
const VAR: i32 = MEAN + 1;
const RECENT: i32 = VAR + 1;
const LO: i32 = RECENT + 1;
const HI: i32 = LO + 1;
const SMOOTH: i32 = HI + 1;
const SMOOTH_LO: i32 = SMOOTH + 1;
const SMOOTH_HI: i32 = SMOOTH_LO + 1;
const RECENT_RANGE: i32 = SMOOTH_HI + 1;
export const SERIES_BYTES: usize = <usize>(RECENT_RANGE + 1) << 3;

/** A fresh scorer in the SERIES_BYTES bytes at `p`, with the options at `opts`. */
export function seriesInit(p: usize, opts: usize): void {
  memory.fill(p, 0, SERIES_BYTES);
  memory.copy(p, opts, <usize>N_OPT << 3);
  setField(p, LO, Infinity);
  setField(p, HI, -Infinity);
  setField(p, SMOOTH_LO, Infinity);
  setField(p, SMOOTH_HI, -Infinity);
}

/** The anomaly score of the next observation. */
function score(p: usize, x: f64): f64 {
  const state = p + (<usize>STATE << 3);
  const row = p + (<usize>ROW << 3);
  const flags = observe(state, x, p, row);
  if ((flags & FLAG_NONFINITE) != 0) return 1.0;
  const evidence = (flags & FLAG_WARMUP) != 0 ? 0.0 : evidenceOf(p, row);
  let surprise = 0.0;
  if (field(p, COUNT) > SERIES_WARMUP) {
    surprise = max<f64>((evidence - field(p, MEAN)) / Math.sqrt(field(p, VAR) + SERIES_EPSILON), 0.0);
  }
  const count = field(p, COUNT) + 1.0;
  setField(p, COUNT, count);
  const w = max<f64>(SERIES_ALPHA, 1.0 / count);
  const r = evidence - field(p, MEAN);
  setField(p, MEAN, field(p, MEAN) + w * r);
  setField(p, VAR, field(p, VAR) + w * (r * r - field(p, VAR)));
  const recent = field(p, RECENT);
  setField(p, RECENT, max<f64>(surprise, recent * SERIES_DECAY));
  const detected = surprise > recent ? surprise / (1.0 + surprise) : 0.0;
  const smooth = count == 1.0 ? x : field(p, SMOOTH) + SMOOTH_ALPHA * (x - field(p, SMOOTH));
  setField(p, SMOOTH, smooth);
  let ranged = 0.0;
  let smoothed = 0.0;
  if (count > SERIES_WARMUP) {
    const minScale = field(p, OPT_MIN_SCALE);
    const n = novelty(x, field(p, LO), field(p, HI), minScale);
    ranged = n / (n + RANGE_HALF);
    const sn = novelty(smooth, field(p, SMOOTH_LO), field(p, SMOOTH_HI), minScale);
    smoothed = sn / (sn + SMOOTH_RANGE_HALF);
  }
  setField(p, LO, min<f64>(field(p, LO), x));
  setField(p, HI, max<f64>(field(p, HI), x));
  setField(p, SMOOTH_LO, min<f64>(field(p, SMOOTH_LO), smooth));
  setField(p, SMOOTH_HI, max<f64>(field(p, SMOOTH_HI), smooth));
  const novel = max<f64>(ranged, smoothed);
  const recentRange = field(p, RECENT_RANGE);
  setField(p, RECENT_RANGE, max<f64>(novel, recentRange * SERIES_DECAY));
  return novel > recentRange ? max<f64>(detected, novel) : detected;
}

function evidenceOf(o: usize, row: usize): f64 {
  const spike = abs<f64>(field(row, OUT_Z)) / field(o, OPT_SPIKE);
  const shift = max<f64>(field(row, OUT_CUSUM_UP), field(row, OUT_CUSUM_DOWN)) / field(o, OPT_CUSUM_H);
  const drift = max<f64>(field(row, OUT_PH_UP), field(row, OUT_PH_DOWN)) / field(o, OPT_PH_LAMBDA);
  return spike + shift + drift;
}

/** Scores `n` f64 values at `values` into `scores`. */
export function seriesScore(p: usize, values: usize, n: i32, scores: usize): void {
  for (let i = 0; i < n; i++) {
    store<f64>(scores + (<usize>i << 3), score(p, load<f64>(values + (<usize>i << 3))));
  }
}
