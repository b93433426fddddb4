// The zero-shot trend detector: the twin of native/src/detect/trend.rs (the
// why of every step is there). The same f64 operations in the same order, so
// both builds give the same bits: no Math.log (ln below), no Math.max/min on
// values that may be NaN (fmax/fmin pick like Rust's twin), insertion sorts.
// Unmanaged memory: the caller's arrays by pointer, scratch in static data.

import { exp } from "./exp";
import {
  ABSENT,
  CODE_END,
  CONFIRM_Z,
  DEFAULT_TRIALS,
  EARLY_POINTS,
  EFFECT_CORR,
  EFFECT_COUNT,
  EFFECT_COUNT_SHARE,
  EFFECT_LOG,
  EFFECT_QUANTA,
  EFFECT_RATE,
  EFFECT_SIGNED_RANGE,
  ENVELOPE_POINTS,
  FLAG_ALARM,
  FLAG_DOWN,
  FLAG_NONFINITE,
  FLAG_ONE_OFF,
  FLAG_OPEN,
  FLAG_RECOVERED,
  FLAG_UP,
  FLAG_WARMUP,
  KIND_CORR,
  KIND_COUNT,
  KIND_RATE,
  KIND_SCALE,
  KIND_MASK,
  LEVEL_QUANTA,
  MAX_DECIMALS,
  MAY_FALL,
  MAY_RISE,
  MIN_POINTS,
  N_KIND,
  N_OUT,
  N_STATE,
  OFFSET_SHARE,
  OPEN_Z,
  OUT_BASELINE,
  OUT_EARLY_MAX,
  OUT_EARLY_MIN,
  OUT_EFFECT,
  OUT_MEDIAN16,
  OUT_MEDIAN5,
  OUT_NONFINITE_RUN,
  OUT_P90,
  OUT_PEAK5,
  OUT_PERSIST,
  OUT_QUANTUM,
  OUT_SCALE,
  OUT_Z,
  PERSISTENCE,
  RING_POINTS,
  SCALE_FLOOR_LOG,
  SPREAD_TO_SIGMA,
  STATE_COUNT,
  STATE_EARLY_0,
  STATE_EARLY_MAX,
  STATE_EARLY_MIN,
  STATE_FROZEN_HIGH,
  STATE_FROZEN_LEVEL,
  STATE_FROZEN_LOW,
  STATE_FROZEN_SCALE,
  STATE_FROZEN_SLOPE,
  STATE_HEAD,
  STATE_NONFINITE_RUN,
  STATE_OPEN,
  STATE_PEAK5,
  STATE_PERSIST,
  STATE_QUANTUM,
  STATE_RING_0,
  STATE_SINCE,
  TREND_POINTS,
  TREND_VERSION,
} from "../generated/trend";

const RING: i32 = <i32>RING_POINTS;
const EARLY: i32 = <i32>EARLY_POINTS;
const F64_MIN_POSITIVE: f64 = 2.2250738585072014e-308;

// Scratch (f64 x 32 each): the window, its transform, sort buffer, slopes, levels, last 5.
const WINDOW = memory.data(8 * 32, 8);
const Y = memory.data(8 * 32, 8);
const SORT = memory.data(8 * 32, 8);
const SLOPES = memory.data(8 * 32, 8);
const LEVELS = memory.data(8 * 32, 8);
const LAST5 = memory.data(8 * 8, 8);
const POW10 = memory.data<f64>([1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]);

@inline function ld(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
@inline function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}
@inline function fmax(a: f64, b: f64): f64 {
  return a > b ? a : b;
}
@inline function fmin(a: f64, b: f64): f64 {
  return a < b ? a : b;
}

export function trendLayoutVersion(): i32 {
  return TREND_VERSION;
}

/** Bytes of one stream's state and of one observation's outputs. */
export function trendStateBytes(): i32 {
  return N_STATE * 8;
}
export function trendOutputBytes(): i32 {
  return N_OUT * 8;
}

function validCode(c: i32): bool {
  return c == ABSENT || (c >= 0 && (c & KIND_MASK) < N_KIND && c < CODE_END);
}

/** native/src/detect/trend.rs `step_batch`; the caller checks the lengths. Returns 0, or
 *  -(i + 1) when the code of observation i is unknown (nothing written). */
export function trendStep(
  states: usize,
  values: usize,
  codes: usize,
  trials: usize,
  n: i32,
  outputs: usize,
  flags: usize,
): i32 {
  for (let i = 0; i < n; i++) {
    if (!validCode(load<i32>(codes + (<usize>i << 2)))) return -(i + 1);
  }
  for (let i = 0; i < n; i++) {
    const s = states + <usize>i * <usize>(N_STATE * 8);
    const row = outputs + <usize>i * <usize>(N_OUT * 8);
    const code = load<i32>(codes + (<usize>i << 2));
    let f: i32 = 0;
    if (code == ABSENT) {
      for (let j = 0; j < N_OUT; j++) st(row, j, NaN);
    } else {
      f = step(s, ld(values, i), code, ld(trials, i), row);
    }
    store<i32>(flags + (<usize>i << 2), f);
  }
  return 0;
}

function step(s: usize, x: f64, code: i32, trials: f64, row: usize): i32 {
  for (let j = 0; j < N_OUT; j++) st(row, j, NaN);
  const k = code & KIND_MASK;
  const count = <i32>ld(s, STATE_COUNT);
  const n = min<i32>(count, RING);
  const head = <i32>ld(s, STATE_HEAD);
  for (let j = 0; j < n; j++) {
    const at = (head + RING - n + j) % RING;
    st(WINDOW, j, ld(s, STATE_RING_0 + at));
  }
  const recentN = min<i32>(n, <i32>ENVELOPE_POINTS);
  const recent = WINDOW + (<usize>(n - recentN) << 3);
  st(row, OUT_MEDIAN16, median(recent, recentN));
  st(row, OUT_P90, upperQuantile(recent, recentN));
  let flags: i32 = n < <i32>MIN_POINTS ? FLAG_WARMUP : 0;
  if (!isFinite<f64>(x)) {
    st(s, STATE_NONFINITE_RUN, ld(s, STATE_NONFINITE_RUN) + 1.0);
    passive(s, row);
    return flags | FLAG_NONFINITE;
  }
  st(s, STATE_NONFINITE_RUN, 0.0);
  const qx = decimalQuantum(x);
  if (qx > 0.0 && !atBound(k, x) && (ld(s, STATE_QUANTUM) == 0.0 || qx < ld(s, STATE_QUANTUM))) st(s, STATE_QUANTUM, qx);
  if ((flags & FLAG_WARMUP) == 0) flags |= judge(s, x, k, code, trials, n, row);
  learn(s, x);
  const m = min<i32>(n + 1, 5);
  for (let j = 0; j < m - 1; j++) st(LAST5, j, ld(WINDOW, n + 1 - m + j));
  st(LAST5, m - 1, x);
  const median5 = median(LAST5, m);
  st(row, OUT_MEDIAN5, median5);
  // The peak counts full 5-point medians only: one of the first points is no level.
  if (count + 1 == 5 || (count + 1 > 5 && median5 > ld(s, STATE_PEAK5))) st(s, STATE_PEAK5, median5);
  passive(s, row);
  return flags;
}

function passive(s: usize, row: usize): void {
  const seen = ld(s, STATE_COUNT) > 0.0;
  st(row, OUT_PERSIST, ld(s, STATE_PERSIST));
  st(row, OUT_EARLY_MAX, seen ? ld(s, STATE_EARLY_MAX) : NaN);
  st(row, OUT_EARLY_MIN, seen ? ld(s, STATE_EARLY_MIN) : NaN);
  st(row, OUT_PEAK5, ld(s, STATE_COUNT) >= 5.0 ? ld(s, STATE_PEAK5) : NaN);
  st(row, OUT_NONFINITE_RUN, ld(s, STATE_NONFINITE_RUN));
  st(row, OUT_QUANTUM, ld(s, STATE_QUANTUM));
}

@inline function forward(k: i32, offset: f64, x: f64): f64 {
  if (k == KIND_SCALE) return ln(fmax(x, 0.0) + offset);
  if (k == KIND_COUNT) return Math.sqrt(fmax(x, 0.0));
  return x;
}

@inline function back(k: i32, offset: f64, y: f64): f64 {
  if (k == KIND_SCALE) return fmax(exp(y) - offset, 0.0);
  if (k == KIND_COUNT) {
    const r = fmax(y, 0.0);
    return r * r;
  }
  return y;
}

function judge(s: usize, x: f64, k: i32, code: i32, trials: f64, n: i32, row: usize): i32 {
  const q = ld(s, STATE_QUANTUM);
  const earlyN = min<i32>(<i32>ld(s, STATE_COUNT), EARLY);
  const earlyMedian = median(s + (<usize>STATE_EARLY_0 << 3), earlyN);
  const offset = fmax(fmax(q, OFFSET_SHARE * earlyMedian), F64_MIN_POSITIVE);
  for (let j = 0; j < n; j++) st(Y, j, forward(k, offset, ld(WINDOW, j)));
  const yx = forward(k, offset, x);
  const trendN = min<i32>(n, <i32>TREND_POINTS);
  const slope = theilSenSlope(Y + (<usize>(n - trendN) << 3), trendN);
  const level = theilSenLevel(Y + (<usize>(n - trendN) << 3), trendN, slope);
  const predicted = level + slope * <f64>trendN;
  const t = isFinite<f64>(trials) && trials >= 1.0 ? trials : DEFAULT_TRIALS;
  const recentN = min<i32>(n, <i32>ENVELOPE_POINTS);
  const rawRecent = WINDOW + (<usize>(n - recentN) << 3);
  const range = highest(rawRecent, recentN) - lowest(rawRecent, recentN);
  const scale = fmax(SPREAD_TO_SIGMA * residualSpread(Y, n), floorOf(k, predicted, q, t, offset, range));
  const recentY = Y + (<usize>(n - recentN) << 3);
  const low = lowest(recentY, recentN);
  const high = highest(recentY, recentN);
  const open = ld(s, STATE_OPEN);
  let flags: i32 = 0;
  if (open == 0.0) {
    const z = (yx - predicted) / scale;
    const baseline = back(k, offset, predicted);
    st(row, OUT_Z, z);
    st(row, OUT_BASELINE, baseline);
    st(row, OUT_SCALE, scale);
    st(row, OUT_EFFECT, x - baseline);
    const dir: f64 = z > 0.0 ? 1.0 : -1.0;
    const allowed = (code & (dir > 0.0 ? MAY_RISE : MAY_FALL)) != 0;
    const outside = dir > 0.0 ? yx > high : yx < low;
    if (Math.abs(z) > OPEN_Z && allowed && outside && matters(k, x, baseline, yx - predicted, q, range)) {
      st(s, STATE_OPEN, dir);
      st(s, STATE_PERSIST, 1.0);
      st(s, STATE_SINCE, 0.0);
      st(s, STATE_FROZEN_LEVEL, predicted);
      st(s, STATE_FROZEN_SLOPE, slope);
      st(s, STATE_FROZEN_SCALE, scale);
      st(s, STATE_FROZEN_LOW, low);
      st(s, STATE_FROZEN_HIGH, high);
      flags |= FLAG_OPEN | directionFlag(dir);
    }
  } else {
    st(s, STATE_SINCE, ld(s, STATE_SINCE) + 1.0);
    const ahead = fmin(ld(s, STATE_SINCE), TREND_POINTS);
    const frozen = ld(s, STATE_FROZEN_LEVEL) + ld(s, STATE_FROZEN_SLOPE) * ahead;
    const frozenScale = ld(s, STATE_FROZEN_SCALE);
    const z = (yx - frozen) / frozenScale;
    const baseline = back(k, offset, frozen);
    st(row, OUT_Z, z);
    st(row, OUT_BASELINE, baseline);
    st(row, OUT_SCALE, frozenScale);
    st(row, OUT_EFFECT, x - baseline);
    const outside = open > 0.0 ? yx > ld(s, STATE_FROZEN_HIGH) : yx < ld(s, STATE_FROZEN_LOW);
    const confirms = open * z > CONFIRM_Z && outside && matters(k, x, baseline, yx - frozen, q, range);
    if (confirms) {
      st(s, STATE_PERSIST, ld(s, STATE_PERSIST) + 1.0);
      flags |= FLAG_OPEN | directionFlag(open);
      if (ld(s, STATE_PERSIST) >= PERSISTENCE) flags |= FLAG_ALARM;
    } else {
      flags |= directionFlag(open) | (ld(s, STATE_PERSIST) >= PERSISTENCE ? FLAG_RECOVERED : FLAG_ONE_OFF);
      st(s, STATE_OPEN, 0.0);
      st(s, STATE_PERSIST, 0.0);
    }
  }
  return flags;
}

@inline function directionFlag(dir: f64): i32 {
  return dir > 0.0 ? FLAG_UP : FLAG_DOWN;
}

function floorOf(k: i32, predicted: f64, q: f64, trials: f64, offset: f64, range: f64): f64 {
  if (k == KIND_SCALE) return fmax(SCALE_FLOOR_LOG, q / fmax(exp(predicted), offset));
  if (k == KIND_RATE) {
    const half = 0.5 / trials;
    const p = fmin(fmax(predicted, half), 1.0 - half);
    return fmax(Math.sqrt((p * (1.0 - p)) / trials), q);
  }
  // A count that has not moved over the recent points is set by the configuration: one printed unit (native `floor`).
  if (k == KIND_COUNT) return range == 0.0 ? fmax(q, 1.0) / (2.0 * fmax(predicted, 1.0)) : 0.5;
  if (k == KIND_CORR) {
    const r = fmin(fmax(predicted, -0.99), 0.99);
    return fmax((1.0 - r * r) / Math.sqrt(fmax(trials - 3.0, 1.0)), q);
  }
  return fmax(q, 1e-12 * Math.abs(predicted));
}

function matters(k: i32, x: f64, baseline: f64, judged: f64, q: f64, range: f64): bool {
  const change = Math.abs(x - baseline);
  if (change < EFFECT_QUANTA * q) return false;
  if (k == KIND_SCALE) return Math.abs(judged) >= EFFECT_LOG && baseline >= LEVEL_QUANTA * q;
  if (k == KIND_RATE) return change >= EFFECT_RATE;
  if (k == KIND_COUNT) return change >= fmax(EFFECT_COUNT, EFFECT_COUNT_SHARE * baseline);
  if (k == KIND_CORR) return change >= EFFECT_CORR;
  return change >= EFFECT_SIGNED_RANGE * range;
}

/** A bound of its kind teaches no quantum (native `at_bound`: logs print it as an integer). */
function atBound(k: i32, x: f64): bool {
  if (k == KIND_RATE) return x == 1.0;
  if (k == KIND_CORR) return x == 1.0 || x == -1.0;
  return false;
}

function learn(s: usize, x: f64): void {
  const count = <i32>ld(s, STATE_COUNT);
  const head = <i32>ld(s, STATE_HEAD);
  st(s, STATE_RING_0 + head, x);
  st(s, STATE_HEAD, <f64>((head + 1) % RING));
  if (count < EARLY) {
    st(s, STATE_EARLY_0 + count, x);
    if (count == 0 || x > ld(s, STATE_EARLY_MAX)) st(s, STATE_EARLY_MAX, x);
    if (count == 0 || x < ld(s, STATE_EARLY_MIN)) st(s, STATE_EARLY_MIN, x);
  }
  st(s, STATE_COUNT, <f64>(count + 1));
}

function theilSenSlope(y: usize, n: i32): f64 {
  let m = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      st(SLOPES, m, (ld(y, j) - ld(y, i)) / <f64>(j - i));
      m++;
    }
  }
  return median(SLOPES, m);
}

function theilSenLevel(y: usize, n: i32, slope: f64): f64 {
  for (let i = 0; i < n; i++) st(LEVELS, i, ld(y, i) - slope * <f64>i);
  return median(LEVELS, n);
}

function residualSpread(y: usize, n: i32): f64 {
  let sum = 0.0;
  for (let i = 0; i < n; i++) {
    const from = max<i32>(i - 2, 0);
    const to = min<i32>(i + 3, n);
    sum += Math.abs(ld(y, i) - median(y + (<usize>from << 3), to - from));
  }
  return sum / <f64>n;
}

function lowest(v: usize, n: i32): f64 {
  let low = ld(v, 0);
  for (let i = 1; i < n; i++) if (ld(v, i) < low) low = ld(v, i);
  return low;
}

function highest(v: usize, n: i32): f64 {
  let high = ld(v, 0);
  for (let i = 1; i < n; i++) if (ld(v, i) > high) high = ld(v, i);
  return high;
}

function sortInto(v: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const x = ld(v, i);
    let j = i;
    while (j > 0 && ld(SORT, j - 1) > x) {
      st(SORT, j, ld(SORT, j - 1));
      j--;
    }
    st(SORT, j, x);
  }
}

function median(v: usize, n: i32): f64 {
  if (n == 0) return NaN;
  sortInto(v, n);
  if (n % 2 == 1) return ld(SORT, n / 2);
  return (ld(SORT, n / 2 - 1) + ld(SORT, n / 2)) / 2.0;
}

function upperQuantile(v: usize, n: i32): f64 {
  if (n == 0) return NaN;
  sortInto(v, n);
  const at = 0.9 * <f64>(n - 1);
  const lo = Math.floor(at);
  const i = <i32>lo;
  const hi = min<i32>(i + 1, n - 1);
  return ld(SORT, i) + (ld(SORT, hi) - ld(SORT, i)) * (at - lo);
}

export function decimalQuantum(x: f64): f64 {
  const a = Math.abs(x);
  if (a == 0.0 || !isFinite<f64>(a)) return 0.0;
  for (let d = 0; d < 10; d++) {
    const p = ld(POW10, d);
    const v = a * p;
    if (Math.abs(v - Math.floor(v + 0.5)) <= 1e-9 * fmax(v, 1.0)) return 1.0 / p;
  }
  return 1.0 / ld(POW10, <i32>MAX_DECIMALS);
}

const LN2_HI: f64 = 6.931471803691238e-1;
const LN2_LO: f64 = 1.9082149292705877e-10;
const TWO_54: f64 = 18014398509481984.0;
const SQRT_2: f64 = 1.4142135623730951;

/** ln x: native/src/detect/trend.rs `ln`, the same operations in the same order. */
export function ln(x: f64): f64 {
  if (isNaN<f64>(x) || x < 0.0) return NaN;
  if (x == 0.0) return -Infinity;
  if (x == Infinity) return x;
  let v = x;
  let e: i64 = 0;
  if (v < F64_MIN_POSITIVE) {
    v *= TWO_54;
    e = -54;
  }
  const bits = reinterpret<u64>(v);
  e += <i64>((bits >> 52) & 0x7ff) - 1023;
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (m > SQRT_2) {
    m *= 0.5;
    e += 1;
  }
  const s = (m - 1.0) / (m + 1.0);
  const s2 = s * s;
  let p = 1.0 / 21.0;
  p = p * s2 + 1.0 / 19.0;
  p = p * s2 + 1.0 / 17.0;
  p = p * s2 + 1.0 / 15.0;
  p = p * s2 + 1.0 / 13.0;
  p = p * s2 + 1.0 / 11.0;
  p = p * s2 + 1.0 / 9.0;
  p = p * s2 + 1.0 / 7.0;
  p = p * s2 + 1.0 / 5.0;
  p = p * s2 + 1.0 / 3.0;
  p = p * s2 + 1.0;
  const ef = <f64>e;
  return ef * LN2_HI + (ef * LN2_LO + 2.0 * s * p);
}
