// The univariate scorer. Mirrors native/src/detect/series.rs (definition there).
// A scorer is SERIES_BYTES bytes: its options, the stream state and output row,
// then count, mean, var, recent, the range lo, hi, the EWMA smooth and its
// range, the recent range score, the context novelty rate, the recent context
// and reported scores, the ring position and fill of the earlier levels, the
// SERIES_LAGS earlier levels (as f64), then the facts seen, one byte each.

import { clampNum, maxNum, minNum } from "./numeric";
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
  SERIES_LAGS,
  SERIES_LEVELS,
  SERIES_NOVELTY_ALPHA,
  SERIES_NOVELTY_GAIN,
  SERIES_REPORT_DECAY,
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
const NOVELTY_RATE: i32 = RECENT_RANGE + 1;
const RECENT_CONTEXT: i32 = NOVELTY_RATE + 1;
const RECENT_SCORE: i32 = RECENT_CONTEXT + 1;
const AT: i32 = RECENT_SCORE + 1;
const HELD: i32 = AT + 1;
const LEVELS: i32 = HELD + 1;
const LAGS: i32 = <i32>SERIES_LAGS;
const NLEVELS: i32 = <i32>SERIES_LEVELS;
const SEEN: usize = <usize>(LEVELS + LAGS) << 3;
export const SERIES_BYTES: usize = SEEN + <usize>(LAGS * NLEVELS * NLEVELS);

/** A fresh scorer in the SERIES_BYTES bytes at `p`, with the options at `opts`. */
export function seriesInit(p: usize, opts: usize): void {
  memory.fill(p, 0, SERIES_BYTES);
  memory.copy(p, opts, <usize>N_OPT << 3);
  setField(p, LO, Infinity);
  setField(p, HI, -Infinity);
  setField(p, SMOOTH_LO, Infinity);
  setField(p, SMOOTH_HI, -Infinity);
  for (let i = 0; i < LAGS; i++) setField(p, LEVELS + i, -1.0);
}

/** The context score of `x` (series.rs step 5), before the count and the range take it in. */
function context(p: usize, x: f64): f64 {
  const lo = field(p, LO);
  const hi = field(p, HI);
  let level = -1;
  if (lo <= hi) {
    const width = maxNum(hi - lo, field(p, OPT_MIN_SCALE) * maxNum(abs<f64>(hi), 1.0));
    const q = Math.floor(((x - lo) / width) * SERIES_LEVELS);
    level = <i32>clampNum(q, 0.0, SERIES_LEVELS - 1.0);
  }
  const at = <i32>field(p, AT);
  const held = <i32>field(p, HELD);
  let novel = 0.0;
  let facts = 0.0;
  if (level >= 0) {
    for (let lag = 1; lag <= held; lag++) {
      const earlier = <i32>field(p, LEVELS + ((at + LAGS - lag) % LAGS));
      if (earlier < 0) continue;
      const fact = p + SEEN + <usize>(((lag - 1) * NLEVELS + earlier) * NLEVELS + level);
      facts += 1.0;
      if (load<u8>(fact) == 0) {
        novel += 1.0;
        store<u8>(fact, 1);
      }
    }
  }
  setField(p, LEVELS + at, <f64>level);
  setField(p, AT, <f64>((at + 1) % LAGS));
  setField(p, HELD, <f64>min<i32>(held + 1, LAGS));
  const novelty = facts > 0.0 ? novel / facts : 0.0;
  const rate = field(p, NOVELTY_RATE);
  const surprise = field(p, COUNT) > SERIES_WARMUP ? maxNum(novelty - rate, 0.0) : 0.0;
  setField(p, NOVELTY_RATE, rate + SERIES_NOVELTY_ALPHA * (novelty - rate));
  const recent = field(p, RECENT_CONTEXT);
  setField(p, RECENT_CONTEXT, maxNum(surprise, recent * SERIES_DECAY));
  return surprise > recent ? minNum(SERIES_NOVELTY_GAIN * surprise, 1.0) : 0.0;
}

/** The anomaly score of the next observation. */
function score(p: usize, x: f64): f64 {
  const state = p + (<usize>STATE << 3);
  const row = p + (<usize>ROW << 3);
  const flags = observe(state, x, p, row);
  if ((flags & FLAG_NONFINITE) != 0) return 1.0;
  const evidence = (flags & FLAG_WARMUP) != 0 ? 0.0 : evidenceOf(p, row);
  const ctx = context(p, x);
  let surprise = 0.0;
  if (field(p, COUNT) > SERIES_WARMUP) {
    surprise = maxNum((evidence - field(p, MEAN)) / Math.sqrt(field(p, VAR) + SERIES_EPSILON), 0.0);
  }
  const count = field(p, COUNT) + 1.0;
  setField(p, COUNT, count);
  const w = maxNum(SERIES_ALPHA, 1.0 / count);
  const r = evidence - field(p, MEAN);
  setField(p, MEAN, field(p, MEAN) + w * r);
  setField(p, VAR, field(p, VAR) + w * (r * r - field(p, VAR)));
  const recent = field(p, RECENT);
  setField(p, RECENT, maxNum(surprise, recent * SERIES_DECAY));
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
  setField(p, LO, minNum(field(p, LO), x));
  setField(p, HI, maxNum(field(p, HI), x));
  setField(p, SMOOTH_LO, minNum(field(p, SMOOTH_LO), smooth));
  setField(p, SMOOTH_HI, maxNum(field(p, SMOOTH_HI), smooth));
  const novel = maxNum(ranged, smoothed);
  const recentRange = field(p, RECENT_RANGE);
  setField(p, RECENT_RANGE, maxNum(novel, recentRange * SERIES_DECAY));
  const found = maxNum(novel > recentRange ? maxNum(detected, novel) : detected, ctx);
  const recentScore = field(p, RECENT_SCORE);
  setField(p, RECENT_SCORE, maxNum(found, recentScore * SERIES_REPORT_DECAY));
  return found > recentScore ? found : 0.0;
}

function evidenceOf(o: usize, row: usize): f64 {
  const spike = abs<f64>(field(row, OUT_Z)) / field(o, OPT_SPIKE);
  const shift = maxNum(field(row, OUT_CUSUM_UP), field(row, OUT_CUSUM_DOWN)) / field(o, OPT_CUSUM_H);
  const drift = maxNum(field(row, OUT_PH_UP), field(row, OUT_PH_DOWN)) / field(o, OPT_PH_LAMBDA);
  return spike + shift + drift;
}

/** Scores `n` f64 values at `values` into `scores`. */
export function seriesScore(p: usize, values: usize, n: i32, scores: usize): void {
  for (let i = 0; i < n; i++) {
    store<f64>(scores + (<usize>i << 3), score(p, load<f64>(values + (<usize>i << 3))));
  }
}
