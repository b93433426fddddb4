//! The zero-shot trend detector (docs/detection.md): one stream per (run,
//! signal), judged against its own recent course only, in the units of the
//! signal's kind (layout/trend.json `kinds`).
//!
//! Healthy RFT runs trend: reward rises, entropy falls, length and KL drift.
//! So the baseline is a line, not a level: a Theil-Sen fit (median of the
//! pairwise slopes) over the last `TREND_POINTS` logged points, which one or
//! two outliers cannot tilt. The noise is the mean absolute residual around a
//! running 5-point median over the last `RING_POINTS` points, floored by what
//! the signal's kind and the log's printed precision allow (a value printed
//! with 3 decimals cannot move by less than 0.001; a share of 16 trials moves
//! by binomial noise).
//!
//! An observation opens an *excursion* when it is `OPEN_Z` noise units off
//! the line in a direction that may alarm, outside every value of the last
//! `ENVELOPE_POINTS` points, and a change of a size that matters for its kind
//! (`effect_*`). The line, noise and envelope are then frozen, and each next
//! point confirms the excursion when it stays `CONFIRM_Z` beyond the frozen
//! line and outside the frozen envelope. `PERSISTENCE` points in a row make an
//! alarm; an excursion that ends sooner is a one-off (a note, not an alarm).
//!
//! The caller holds each stream's state (`state::WIDTH` f64s, zeros for a new
//! stream), so a snapshot is the caller's array. Beside the alarm the kernel
//! reports the running statistics the invariants of the detect stage read
//! (early extremes, running medians and upper quantile, the peak of the
//! 5-point median). Every operation is a plain f64 operation in a fixed order
//! (logarithm and exponential included, `ln` here and `super::exp`), and
//! `wasm/assembly/detect/trend.ts` repeats them: both builds give the same bits.

use super::exp::exp;
use crate::error::KernelError;

include!(concat!(env!("OUT_DIR"), "/trend_layout.rs"));

const RING: usize = RING_POINTS as usize;
const EARLY: usize = EARLY_POINTS as usize;

/// Feeds observation i (`values[i]`, coded `codes[i]` = kind + direction bits,
/// or `ABSENT`, with `trials[i]` trials behind a rate or correlation) to the
/// stream whose state is row i of `states`; writes row i of `outputs` and
/// `flags[i]`. Nothing is written when the lengths disagree or a code is unknown.
pub fn step_batch(
    states: &mut [f64],
    values: &[f64],
    codes: &[i32],
    trials: &[f64],
    outputs: &mut [f64],
    flags: &mut [i32],
) -> Result<(), KernelError> {
    let n = values.len();
    if codes.len() != n
        || trials.len() != n
        || flags.len() != n
        || states.len() != n * state::WIDTH
        || outputs.len() != n * out::WIDTH
    {
        return Err(KernelError::detect_shape(format!(
            "trend batch of {n} values needs {n} codes, trials and flags, {n} x {} states and {n} x {} outputs (got {}, {}, {}, {}, {})",
            state::WIDTH,
            out::WIDTH,
            codes.len(),
            trials.len(),
            flags.len(),
            states.len(),
            outputs.len()
        )));
    }
    if let Some(i) = codes.iter().position(|&c| !valid_code(c)) {
        return Err(KernelError::detect_shape(format!(
            "trend code {} of observation {i} is not a kind (0-{}) plus direction bits",
            codes[i],
            kind::WIDTH - 1
        )));
    }
    for i in 0..n {
        let s = &mut states[i * state::WIDTH..(i + 1) * state::WIDTH];
        let row = &mut outputs[i * out::WIDTH..(i + 1) * out::WIDTH];
        flags[i] = if codes[i] == ABSENT {
            row.fill(f64::NAN);
            0
        } else {
            step(s, values[i], codes[i], trials[i], row)
        };
    }
    Ok(())
}

/// A kind plus direction bits (layout/trend.json `$code`: `ABSENT`, `KIND_MASK`,
/// `MAY_RISE`, `MAY_FALL`, `CODE_END` are generated from it), or `ABSENT`.
fn valid_code(c: i32) -> bool {
    c == ABSENT || (c >= 0 && (c & KIND_MASK) < kind::WIDTH as i32 && c < CODE_END)
}

/// One observation of one stream; returns its flags.
pub fn step(s: &mut [f64], x: f64, code: i32, trials: f64, row: &mut [f64]) -> i32 {
    row.fill(f64::NAN);
    let k = (code & KIND_MASK) as usize;
    let count = s[state::COUNT] as usize;
    let n = count.min(RING);
    let mut window = [0.0f64; RING];
    for (j, w) in window.iter_mut().enumerate().take(n) {
        // Oldest first: the ring's head is where the next value goes.
        let at = (s[state::HEAD] as usize + RING - n + j) % RING;
        *w = s[state::RING_0 + at];
    }
    let window = &window[..n];
    let recent = &window[n - n.min(ENVELOPE_POINTS as usize)..];
    row[out::MEDIAN16] = median(recent);
    row[out::P90] = upper_quantile(recent);
    let mut flags = if n < MIN_POINTS as usize {
        flag::WARMUP
    } else {
        0
    };
    if !x.is_finite() {
        s[state::NONFINITE_RUN] += 1.0;
        passive(s, row);
        return flags | flag::NONFINITE;
    }
    s[state::NONFINITE_RUN] = 0.0;
    let qx = decimal_quantum(x);
    if qx > 0.0 && !at_bound(k, x) && (s[state::QUANTUM] == 0.0 || qx < s[state::QUANTUM]) {
        s[state::QUANTUM] = qx;
    }
    if flags & flag::WARMUP == 0 {
        flags |= judge(s, x, k, code, trials, window, row);
    }
    learn(s, x);
    // The 5-point median and its peak, with x.
    let mut last5 = [0.0f64; 5];
    let m = (n + 1).min(5);
    last5[..m - 1].copy_from_slice(&window[n + 1 - m..]);
    last5[m - 1] = x;
    let median5 = median(&last5[..m]);
    row[out::MEDIAN5] = median5;
    // The peak counts full 5-point medians only: one of the first points is no level.
    if count + 1 == 5 || (count + 1 > 5 && median5 > s[state::PEAK5]) {
        s[state::PEAK5] = median5;
    }
    passive(s, row);
    flags
}

/// The outputs that are the stream's state, whatever the observation.
fn passive(s: &[f64], row: &mut [f64]) {
    row[out::PERSIST] = s[state::PERSIST];
    row[out::EARLY_MAX] = if s[state::COUNT] > 0.0 {
        s[state::EARLY_MAX]
    } else {
        f64::NAN
    };
    row[out::EARLY_MIN] = if s[state::COUNT] > 0.0 {
        s[state::EARLY_MIN]
    } else {
        f64::NAN
    };
    row[out::PEAK5] = if s[state::COUNT] >= 5.0 {
        s[state::PEAK5]
    } else {
        f64::NAN
    };
    row[out::NONFINITE_RUN] = s[state::NONFINITE_RUN];
    row[out::QUANTUM] = s[state::QUANTUM];
}

/// How a kind maps values onto the scale it is judged on.
#[derive(Clone, Copy)]
struct Transform {
    kind: usize,
    /// Log offset of a scale signal: values near 0 are not infinitely far apart.
    offset: f64,
}

impl Transform {
    fn forward(&self, x: f64) -> f64 {
        match self.kind {
            kind::SCALE => ln(fmax(x, 0.0) + self.offset),
            kind::COUNT => fmax(x, 0.0).sqrt(),
            _ => x,
        }
    }

    fn back(&self, y: f64) -> f64 {
        match self.kind {
            kind::SCALE => fmax(exp(y) - self.offset, 0.0),
            kind::COUNT => {
                let r = fmax(y, 0.0);
                r * r
            }
            _ => y,
        }
    }
}

/// The judgement of x against the stream's course: opens, confirms or ends an excursion.
fn judge(
    s: &mut [f64],
    x: f64,
    k: usize,
    code: i32,
    trials: f64,
    window: &[f64],
    row: &mut [f64],
) -> i32 {
    let q = s[state::QUANTUM];
    let early_n = (s[state::COUNT] as usize).min(EARLY);
    let early_median = median(&s[state::EARLY_0..state::EARLY_0 + early_n]);
    let offset = fmax(fmax(q, OFFSET_SHARE * early_median), f64::MIN_POSITIVE);
    let t = Transform { kind: k, offset };
    let n = window.len();
    let mut y = [0.0f64; RING];
    for (yi, &w) in y.iter_mut().zip(window) {
        *yi = t.forward(w);
    }
    let y = &y[..n];
    let yx = t.forward(x);
    let (level, slope) = theil_sen(&y[n - n.min(TREND_POINTS as usize)..]);
    let trend_n = n.min(TREND_POINTS as usize) as f64;
    let predicted = level + slope * trend_n;
    let trials = if trials.is_finite() && trials >= 1.0 {
        trials
    } else {
        DEFAULT_TRIALS
    };
    let raw_recent = &window[n - n.min(ENVELOPE_POINTS as usize)..];
    let (raw_low, raw_high) = extremes(raw_recent);
    let range = raw_high - raw_low;
    let scale = fmax(
        SPREAD_TO_SIGMA * residual_spread(y),
        floor(k, predicted, q, trials, offset, range),
    );
    let recent = &y[n - n.min(ENVELOPE_POINTS as usize)..];
    let (low, high) = extremes(recent);
    let open = s[state::OPEN];
    let mut flags = 0;
    if open == 0.0 {
        let z = (yx - predicted) / scale;
        let baseline = t.back(predicted);
        row[out::Z] = z;
        row[out::BASELINE] = baseline;
        row[out::SCALE] = scale;
        row[out::EFFECT] = x - baseline;
        let dir = if z > 0.0 { 1.0 } else { -1.0 };
        let allowed = code & if dir > 0.0 { MAY_RISE } else { MAY_FALL } != 0;
        let outside = if dir > 0.0 { yx > high } else { yx < low };
        if z.abs() > OPEN_Z
            && allowed
            && outside
            && matters(k, x, baseline, yx - predicted, q, range)
        {
            s[state::OPEN] = dir;
            s[state::PERSIST] = 1.0;
            s[state::SINCE] = 0.0;
            s[state::FROZEN_LEVEL] = predicted;
            s[state::FROZEN_SLOPE] = slope;
            s[state::FROZEN_SCALE] = scale;
            s[state::FROZEN_LOW] = low;
            s[state::FROZEN_HIGH] = high;
            flags |= flag::OPEN | direction_flag(dir);
        }
    } else {
        s[state::SINCE] += 1.0;
        let ahead = fmin(s[state::SINCE], TREND_POINTS);
        let frozen = s[state::FROZEN_LEVEL] + s[state::FROZEN_SLOPE] * ahead;
        let frozen_scale = s[state::FROZEN_SCALE];
        let z = (yx - frozen) / frozen_scale;
        let baseline = t.back(frozen);
        row[out::Z] = z;
        row[out::BASELINE] = baseline;
        row[out::SCALE] = frozen_scale;
        row[out::EFFECT] = x - baseline;
        let outside = if open > 0.0 {
            yx > s[state::FROZEN_HIGH]
        } else {
            yx < s[state::FROZEN_LOW]
        };
        let confirms =
            open * z > CONFIRM_Z && outside && matters(k, x, baseline, yx - frozen, q, range);
        if confirms {
            s[state::PERSIST] += 1.0;
            flags |= flag::OPEN | direction_flag(open);
            if s[state::PERSIST] >= PERSISTENCE {
                flags |= flag::ALARM;
            }
        } else {
            flags |= direction_flag(open)
                | if s[state::PERSIST] >= PERSISTENCE {
                    flag::RECOVERED
                } else {
                    flag::ONE_OFF
                };
            s[state::OPEN] = 0.0;
            s[state::PERSIST] = 0.0;
        }
    }
    flags
}

/// The larger of a and b, b when either is NaN (`f64::max` and AssemblyScript's
/// `max` differ on NaN; this is what both builds do).
fn fmax(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

/// The smaller of a and b, b when either is NaN.
fn fmin(a: f64, b: f64) -> f64 {
    if a < b {
        a
    } else {
        b
    }
}

fn direction_flag(dir: f64) -> i32 {
    if dir > 0.0 {
        flag::UP
    } else {
        flag::DOWN
    }
}

/// The least noise a kind can have at `predicted` (on its judging scale);
/// `range` is the spread of the stream's recent raw values.
fn floor(k: usize, predicted: f64, q: f64, trials: f64, offset: f64, range: f64) -> f64 {
    match k {
        // d ln(x + offset) = dx / (x + offset); e^predicted is x + offset.
        kind::SCALE => fmax(SCALE_FLOOR_LOG, q / fmax(exp(predicted), offset)),
        kind::RATE => {
            let half = 0.5 / trials;
            let p = fmin(fmax(predicted, half), 1.0 - half);
            fmax((p * (1.0 - p) / trials).sqrt(), q)
        }
        // A count that has not moved over the recent points is set by the configuration
        // (batch size, workers, groups per step), not drawn: its noise is one printed unit
        // (d sqrt(x) = dx / (2 sqrt x)), not a Poisson count's 0.5.
        kind::COUNT if range == 0.0 => fmax(q, 1.0) / (2.0 * fmax(predicted, 1.0)),
        kind::COUNT => 0.5,
        kind::CORR => {
            let r = fmin(fmax(predicted, -0.99), 0.99);
            fmax((1.0 - r * r) / fmax(trials - 3.0, 1.0).sqrt(), q)
        }
        _ => fmax(q, 1e-12 * predicted.abs()),
    }
}

/// Whether a change from `baseline` to `x` is of a size that matters for the kind.
fn matters(k: usize, x: f64, baseline: f64, judged: f64, q: f64, range: f64) -> bool {
    let change = (x - baseline).abs();
    if change < EFFECT_QUANTA * q {
        return false;
    }
    match k {
        kind::SCALE => judged.abs() >= EFFECT_LOG && baseline >= LEVEL_QUANTA * q,
        kind::RATE => change >= EFFECT_RATE,
        kind::COUNT => change >= fmax(EFFECT_COUNT, EFFECT_COUNT_SHARE * baseline),
        kind::CORR => change >= EFFECT_CORR,
        _ => change >= EFFECT_SIGNED_RANGE * range,
    }
}

/// Whether x is a bound of its kind (a share of 1, a correlation of -1 or 1):
/// every log prints such a value as an integer, which says nothing of the
/// precision the log carries, so it teaches no quantum (a share going from 0
/// to 1 would otherwise set a quantum of 1, and no change of a share matters).
fn at_bound(k: usize, x: f64) -> bool {
    match k {
        kind::RATE => x == 1.0,
        kind::CORR => x == 1.0 || x == -1.0,
        _ => false,
    }
}

/// Records x in the ring and, for the first points, as the early reference.
fn learn(s: &mut [f64], x: f64) {
    let count = s[state::COUNT] as usize;
    let head = s[state::HEAD] as usize;
    s[state::RING_0 + head] = x;
    s[state::HEAD] = ((head + 1) % RING) as f64;
    if count < EARLY {
        s[state::EARLY_0 + count] = x;
        if count == 0 || x > s[state::EARLY_MAX] {
            s[state::EARLY_MAX] = x;
        }
        if count == 0 || x < s[state::EARLY_MIN] {
            s[state::EARLY_MIN] = x;
        }
    }
    s[state::COUNT] = (count + 1) as f64;
}

/// The Theil-Sen line through (0, y0), (1, y1), ...: its value at 0 and its slope.
fn theil_sen(y: &[f64]) -> (f64, f64) {
    let n = y.len();
    let mut slopes = [0.0f64; 28];
    let mut m = 0;
    for i in 0..n {
        for j in i + 1..n {
            slopes[m] = (y[j] - y[i]) / (j - i) as f64;
            m += 1;
        }
    }
    let slope = median(&slopes[..m]);
    let mut levels = [0.0f64; 8];
    for (i, l) in levels.iter_mut().enumerate().take(n) {
        *l = y[i] - slope * i as f64;
    }
    (median(&levels[..n]), slope)
}

/// Mean absolute distance of each point from the median of the (up to) 5
/// points centred on it: the noise around the local course of the series.
fn residual_spread(y: &[f64]) -> f64 {
    let n = y.len();
    let mut sum = 0.0;
    for i in 0..n {
        let from = i.saturating_sub(2);
        let to = (i + 3).min(n);
        sum += (y[i] - median(&y[from..to])).abs();
    }
    sum / n as f64
}

fn extremes(v: &[f64]) -> (f64, f64) {
    let mut low = v[0];
    let mut high = v[0];
    for &x in &v[1..] {
        if x < low {
            low = x;
        }
        if x > high {
            high = x;
        }
    }
    (low, high)
}

/// Sorts up to 32 values into `buf` (insertion sort: the same order of
/// comparisons in both builds); returns how many.
fn sorted(v: &[f64], buf: &mut [f64; 32]) -> usize {
    let n = v.len();
    for (i, &x) in v.iter().enumerate() {
        let mut j = i;
        while j > 0 && buf[j - 1] > x {
            buf[j] = buf[j - 1];
            j -= 1;
        }
        buf[j] = x;
    }
    n
}

/// Median (mean of the middle two for an even count); NaN for none.
pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut buf = [0.0f64; 32];
    let n = sorted(v, &mut buf);
    if n % 2 == 1 {
        buf[n / 2]
    } else {
        (buf[n / 2 - 1] + buf[n / 2]) / 2.0
    }
}

/// The 90th percentile (linear between order statistics); NaN for none.
pub fn upper_quantile(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut buf = [0.0f64; 32];
    let n = sorted(v, &mut buf);
    let at = 0.9 * (n - 1) as f64;
    let lo = at.floor();
    let i = lo as usize;
    let hi = (i + 1).min(n - 1);
    buf[i] + (buf[hi] - buf[i]) * (at - lo)
}

const POW10: [f64; 10] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// The step of the last printed decimal of x: 0.001 for 0.123, 1 for 512,
/// 1e-9 for a value with more digits; 0 for 0 (which says nothing).
pub fn decimal_quantum(x: f64) -> f64 {
    let a = x.abs();
    if a == 0.0 || !a.is_finite() {
        return 0.0;
    }
    for &p in &POW10 {
        let v = a * p;
        if (v - (v + 0.5).floor()).abs() <= 1e-9 * fmax(v, 1.0) {
            return 1.0 / p;
        }
    }
    1.0 / POW10[MAX_DECIMALS as usize]
}

const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
const TWO_54: f64 = 18_014_398_509_481_984.0;

/// ln x, the same bits in both builds: x = m 2^e with m in [sqrt(1/2), sqrt(2)),
/// ln m = 2 atanh(s) with s = (m - 1) / (m + 1) (|s| < 0.172) by its series to
/// s^21 (error below 1e-16 relative), plus e ln 2 in two parts.
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x == f64::INFINITY {
        return x;
    }
    let mut v = x;
    let mut e: i64 = 0;
    if v < f64::MIN_POSITIVE {
        v *= TWO_54;
        e = -54;
    }
    let bits = v.to_bits();
    e += ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut p = 1.0 / 21.0;
    for k in [19.0, 17.0, 15.0, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0] {
        p = p * s2 + 1.0 / k;
    }
    p = p * s2 + 1.0;
    let ef = e as f64;
    ef * LN2_HI + (ef * LN2_LO + 2.0 * s * p)
}

#[cfg(test)]
mod tests;
