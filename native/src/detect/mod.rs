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

include!(concat!(env!("OUT_DIR"), "/detect_layout.rs"));

/// Options of a bank, read from the option vector (`opt::*` order).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub max_runs: usize,
    pub max_signals: usize,
    pub warmup: f64,
    pub alpha: f64,
    pub clip: f64,
    pub spike: f64,
    pub cusum_k: f64,
    pub cusum_h: f64,
    pub ph_delta: f64,
    pub ph_lambda: f64,
    pub min_scale: f64,
    pub scale_floor: f64,
}

/// Why an option vector was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionsError(pub String);

impl std::fmt::Display for OptionsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

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
    pub fn from_vector(v: &[f64]) -> Result<Self, OptionsError> {
        let v: &[f64; opt::WIDTH] = v.try_into().map_err(|_| {
            OptionsError(format!(
                "options has {} entries, expected {}",
                v.len(),
                opt::WIDTH
            ))
        })?;
        if let Some(i) = invalid_option(v) {
            return Err(OptionsError(format!(
                "option {} = {} breaks its rule `{}` (max_runs x max_signals <= {MAX_STREAMS})",
                opt::NAMES[i],
                v[i],
                rule::NAMES[opt::RULES[i]]
            )));
        }
        Ok(Options {
            max_runs: v[opt::MAX_RUNS] as usize,
            max_signals: v[opt::MAX_SIGNALS] as usize,
            warmup: v[opt::WARMUP],
            alpha: v[opt::ALPHA],
            clip: v[opt::CLIP],
            spike: v[opt::SPIKE],
            cusum_k: v[opt::CUSUM_K],
            cusum_h: v[opt::CUSUM_H],
            ph_delta: v[opt::PH_DELTA],
            ph_lambda: v[opt::PH_LAMBDA],
            min_scale: v[opt::MIN_SCALE],
            scale_floor: v[opt::SCALE_FLOOR],
        })
    }

    /// The option vector these options were read from.
    pub fn to_vector(&self) -> [f64; opt::WIDTH] {
        let mut v = [0.0; opt::WIDTH];
        v[opt::MAX_RUNS] = self.max_runs as f64;
        v[opt::MAX_SIGNALS] = self.max_signals as f64;
        v[opt::WARMUP] = self.warmup;
        v[opt::ALPHA] = self.alpha;
        v[opt::CLIP] = self.clip;
        v[opt::SPIKE] = self.spike;
        v[opt::CUSUM_K] = self.cusum_k;
        v[opt::CUSUM_H] = self.cusum_h;
        v[opt::PH_DELTA] = self.ph_delta;
        v[opt::PH_LAMBDA] = self.ph_lambda;
        v[opt::MIN_SCALE] = self.min_scale;
        v[opt::SCALE_FLOOR] = self.scale_floor;
        v
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
