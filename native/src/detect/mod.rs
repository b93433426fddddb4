//! Streaming detectors over many metric streams (definitions, defaults, delays
//! and false-alarm rates in `docs/detectors.md`).
//!
//! Every stream (one signal of one run) holds `state::WIDTH` f64s and is
//! updated one observation at a time by [`observe`], which strings the
//! detectors together:
//! - [`nonfinite`]: NaN and ±Infinity are flagged and leave the state alone;
//! - [`baseline`]: a robust running location and scale, and the observation's
//!   standardized deviation `z` against the baseline *before* it;
//! - [`spike`]: |z| beyond a threshold;
//! - [`cusum`]: two-sided CUSUM on the clipped z (abrupt shifts);
//! - [`page_hinkley`]: two-sided Page-Hinkley on deviations from the mean since
//!   the last change (slow drifts the EWMA baseline would follow).
//!
//! A shift or drift alarm marks a new regime: the level jumps to the
//! observation and CUSUM and Page-Hinkley start over, so the detectors judge
//! the new level instead of alarming again and again while the EWMA catches
//! up. The scale and the observation count are kept: there is no blind
//! warm-up after a change.
//! [`bank`] holds many streams with bounded memory; [`series`] turns one
//! stream, plus the [`range`] novelty of each value, into an anomaly score in
//! [0, 1].
//!
//! Two stateless kernels sit beside the streams: [`prior`] scores values
//! against a table of healthy references per signal and training step, and
//! [`fingerprint`] compares a run's deviation vector with known fault
//! fingerprints (weighted cosine, softmax confidence; [`exp`] is the
//! exponential both builds compute alike).

pub mod bank;
pub mod baseline;
pub mod cusum;
pub mod exp;
pub mod fingerprint;
pub mod nonfinite;
pub mod page_hinkley;
pub mod prior;
pub mod range;
pub mod series;
pub mod spike;
pub mod trend;

use crate::error::{Code, KernelError};

// The layout's indices, flags and constants, and the `Options` struct (one
// field per option of layout/detect.json) with `from_checked` and `to_vector`.
include!(concat!(env!("OUT_DIR"), "/detect_layout.rs"));

/// Whether `x` satisfies option rule `rule` (`rule::*`).
fn obeys(rule: usize, x: f64) -> bool {
    x.is_finite()
        && match rule {
            rule::COUNT => x >= 1.0 && x.fract() == 0.0,
            rule::WHOLE => x >= 0.0 && x.fract() == 0.0,
            rule::FRACTION => x > 0.0 && x <= 1.0,
            rule::POSITIVE => x > 0.0,
            _ => x >= 0.0,
        }
}

/// The index of the first option that breaks its rule, or of `max_signals`
/// when the bank would hold more than `MAX_STREAMS` streams; None when valid.
pub fn invalid_option(v: &[f64; opt::WIDTH]) -> Option<usize> {
    if let Some(i) = (0..opt::WIDTH).find(|&i| !obeys(opt::RULES[i], v[i])) {
        return Some(i);
    }
    (v[opt::MAX_RUNS] * v[opt::MAX_SIGNALS] > MAX_STREAMS).then_some(opt::MAX_SIGNALS)
}

impl Options {
    /// Reads an option vector, checking every option against its rule.
    pub fn from_vector(v: &[f64]) -> Result<Self, KernelError> {
        let v: &[f64; opt::WIDTH] = v.try_into().map_err(|_| {
            KernelError::new(
                Code::DetectOptions,
                format!("options has {} entries, expected {}", v.len(), opt::WIDTH),
            )
        })?;
        if let Some(i) = invalid_option(v) {
            return Err(KernelError::new(
                Code::DetectOptions,
                format!(
                    "option {} = {} breaks its rule `{}` (max_runs x max_signals <= {MAX_STREAMS})",
                    opt::NAMES[i],
                    v[i],
                    rule::NAMES[opt::RULES[i]]
                ),
            ));
        }
        Ok(Options::from_checked(v))
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::from_vector(&opt::DEFAULTS).expect("layout/detect.json defaults obey their rules")
    }
}

/// Alarms that mark a new regime.
const CHANGE: i32 = flag::SHIFT_UP | flag::SHIFT_DOWN | flag::DRIFT_UP | flag::DRIFT_DOWN;

/// Feeds one observation `x` to one stream's state `s` (`state::WIDTH`),
/// writes its outputs into `row` (`out::WIDTH`) and returns its flags.
///
/// Order matters and both kernels keep it: score against the state before
/// `x`, write the outputs, start a new regime on a change, then learn from `x`.
pub fn observe(s: &mut [f64], x: f64, o: &Options, row: &mut [f64]) -> i32 {
    let scale = baseline::scale(s, o);
    row[out::LEVEL] = s[state::LEVEL];
    row[out::SCALE] = scale;
    let armed = s[state::COUNT] >= o.warmup;
    let mut flags = if armed { 0 } else { flag::WARMUP };
    if nonfinite::is_nonfinite(x) {
        row[out::Z] = f64::NAN;
        write_stats(s, row);
        return flags | flag::NONFINITE;
    }
    let z = baseline::z_score(s, x, scale);
    row[out::Z] = z;
    if armed {
        let clipped = z.clamp(-o.clip, o.clip);
        flags |= spike::check(z, o.spike);
        flags |= cusum::update(s, clipped, o);
        flags |= page_hinkley::update(s, x, scale, o);
    }
    write_stats(s, row);
    if flags & CHANGE != 0 {
        new_regime(s, x);
    }
    baseline::learn(s, x, o);
    page_hinkley::learn(s, x);
    flags
}

/// After a change: the level jumps to `x`, the change detectors start over.
fn new_regime(s: &mut [f64], x: f64) {
    s[state::LEVEL] = x;
    for field in [
        state::CUSUM_UP,
        state::CUSUM_DOWN,
        state::PH_COUNT,
        state::PH_MEAN,
        state::PH_UP,
        state::PH_DOWN,
    ] {
        s[field] = 0.0;
    }
}

fn write_stats(s: &[f64], row: &mut [f64]) {
    row[out::CUSUM_UP] = s[state::CUSUM_UP];
    row[out::CUSUM_DOWN] = s[state::CUSUM_DOWN];
    row[out::PH_UP] = s[state::PH_UP];
    row[out::PH_DOWN] = s[state::PH_DOWN];
}

#[cfg(test)]
mod tests;
