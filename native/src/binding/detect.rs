//! The detectors' N-API surface: a `DetectorBank` class around
//! `detect::bank::Bank` (a batch of observations per call, outputs written into
//! the caller's arrays), a `SeriesScorer` class around `detect::series::Series`,
//! a `PriorScorer` around `detect::prior::Prior` and a `FingerprintMatcher`
//! around `detect::fingerprint::Matcher`, and the `prior_accumulate` and
//! `trend_step` functions. It only converts; errors carry the code of their
//! `KernelError` (layout/errors.json).

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::{aliased, bytes, kernel_error, overlaps};
use crate::detect::{
    bank::Bank,
    fingerprint::Matcher,
    prior::{accumulate, Accumulation, Prior},
    series::Series,
    Options, DETECT_VERSION,
};
use crate::error::Code;

/// Version of layout/detect.json this addon was built with.
#[napi]
pub fn detect_layout_version() -> u32 {
    DETECT_VERSION
}

/// Detector state for many (run, signal) streams (see `native/src/detect/bank.rs`).
#[napi]
pub struct DetectorBank {
    bank: Bank,
}

#[napi]
impl DetectorBank {
    /// A bank with the given option vector (layout/detect.json `options` order).
    #[napi(constructor)]
    pub fn new(options: &[f64]) -> Result<Self> {
        let options = Options::from_vector(options).map_err(kernel_error)?;
        Ok(DetectorBank {
            bank: Bank::new(options),
        })
    }

    /// A bank that continues from `snapshot`'s bytes.
    #[napi(factory)]
    pub fn restore(snapshot: &[u8]) -> Result<Self> {
        let bank = Bank::restore(snapshot).map_err(kernel_error)?;
        Ok(DetectorBank { bank })
    }

    /// Feeds a batch of observations; writes `out::WIDTH` outputs and one flag word per observation.
    #[napi(catch_unwind)]
    pub fn push(
        &mut self,
        runs: &[u32],
        signals: &[u32],
        values: &[f64],
        mut outputs: Float64Array,
        mut flags: Int32Array,
    ) -> Result<()> {
        let inputs = [bytes(runs), bytes(signals), bytes(values)];
        let (o, f) = (bytes(&outputs), bytes(&flags));
        if overlaps(o, f) || inputs.iter().any(|&r| overlaps(r, o) || overlaps(r, f)) {
            return Err(aliased(
                Code::DetectShape,
                "outputs or flags share memory with another array",
            ));
        }
        // SAFETY: the call is synchronous, so no JS code runs while these borrows
        // live, and the two outputs were just checked to share no byte with each
        // other or with any input.
        let (outputs, flags) = unsafe { (outputs.as_mut(), flags.as_mut()) };
        self.bank
            .push(runs, signals, values, outputs, flags)
            .map_err(kernel_error)
    }

    /// The bank's state as bytes, for `DetectorBank.restore`.
    #[napi]
    pub fn snapshot(&self) -> Buffer {
        self.bank.snapshot().into()
    }

    /// Drops a run's state; false when the bank did not hold it.
    #[napi]
    pub fn evict(&mut self, run: u32) -> bool {
        self.bank.evict(run)
    }

    /// Runs held now.
    #[napi(getter)]
    pub fn runs(&self) -> u32 {
        self.bank.runs() as u32
    }

    /// The option vector the bank was created with.
    #[napi(getter)]
    pub fn options(&self) -> Vec<f64> {
        self.bank.options().to_vector().to_vec()
    }
}

/// The univariate scorer (`native/src/detect/series.rs`): one series, fed in chunks.
#[napi]
pub struct SeriesScorer {
    series: Series,
}

#[napi]
impl SeriesScorer {
    /// A scorer with the given option vector (only the detector options matter).
    #[napi(constructor)]
    pub fn new(options: &[f64]) -> Result<Self> {
        let options = Options::from_vector(options).map_err(kernel_error)?;
        Ok(SeriesScorer {
            series: Series::new(options),
        })
    }

    /// Scores the next `values` of the series, one score in [0, 1] each, into `scores`.
    #[napi(catch_unwind)]
    pub fn score(&mut self, values: &[f64], mut scores: Float64Array) -> Result<()> {
        if overlaps(bytes(values), bytes(&scores)) || scores.len() != values.len() {
            return Err(aliased(
                Code::DetectShape,
                "scores must be a separate array with one entry per value",
            ));
        }
        // SAFETY: synchronous call; `scores` shares no byte with `values` (checked above).
        self.series.score_all(values, unsafe { scores.as_mut() });
        Ok(())
    }
}

/// Healthy prior scoring (`native/src/detect/prior.rs`): a table of reference cells, batches of values.
#[napi]
pub struct PriorScorer {
    prior: Prior,
}

#[napi]
impl PriorScorer {
    /// A table of `signals x buckets` reference centers and scales (row-major by signal).
    #[napi(constructor)]
    pub fn new(signals: u32, buckets: u32, center: &[f64], scale: &[f64]) -> Result<Self> {
        let prior =
            Prior::new(signals as usize, buckets as usize, center, scale).map_err(kernel_error)?;
        Ok(PriorScorer { prior })
    }

    /// Scores a batch of values against their cells, one z each into `z`.
    #[napi(catch_unwind)]
    pub fn score(
        &self,
        signals: &[u32],
        steps: &[u32],
        values: &[f64],
        mut z: Float64Array,
    ) -> Result<()> {
        let out = bytes(&z);
        if [bytes(signals), bytes(steps), bytes(values)]
            .iter()
            .any(|&r| overlaps(r, out))
        {
            return Err(aliased(Code::DetectShape, "z shares memory with an input"));
        }
        // SAFETY: synchronous call; `z` shares no byte with any input (checked above).
        self.prior
            .score(signals, steps, values, unsafe { z.as_mut() })
            .map_err(kernel_error)
    }

    #[napi(getter)]
    pub fn signals(&self) -> u32 {
        self.prior.signals() as u32
    }

    #[napi(getter)]
    pub fn buckets(&self) -> u32 {
        self.prior.buckets() as u32
    }
}

/// One step of the per-signal CUSUM of |z| against the prior (`native/src/detect/prior.rs`, `accumulate`):
/// updates `sums` in place and writes one alarm flag per signal.
#[napi(catch_unwind)]
pub fn prior_accumulate(
    mut sums: Float64Array,
    z: &[f64],
    k: f64,
    clip: f64,
    h: f64,
    mut alarms: Uint8Array,
) -> Result<()> {
    let (s, a) = (bytes(&sums), bytes(&alarms));
    if overlaps(s, bytes(z)) || overlaps(a, bytes(z)) || overlaps(s, a) {
        return Err(aliased(
            Code::DetectShape,
            "sums, z and alarms must be separate arrays",
        ));
    }
    // SAFETY: synchronous call; `sums` and `alarms` share no byte with each other or with `z` (checked above).
    let (sums, alarms) = unsafe { (sums.as_mut(), alarms.as_mut()) };
    accumulate(sums, z, Accumulation { k, clip, h }, alarms).map_err(kernel_error)
}

/// Fingerprint matching (`native/src/detect/fingerprint.rs`): a set of fault centroids, one vector per call.
#[napi]
pub struct FingerprintMatcher {
    matcher: Matcher,
}

#[napi]
impl FingerprintMatcher {
    /// A set of `fingerprints x dims` centroids (row-major) and `dims` weights.
    #[napi(constructor)]
    pub fn new(fingerprints: u32, dims: u32, centroids: &[f64], weights: &[f64]) -> Result<Self> {
        let matcher = Matcher::new(fingerprints as usize, dims as usize, centroids, weights)
            .map_err(kernel_error)?;
        Ok(FingerprintMatcher { matcher })
    }

    /// Writes each fingerprint's similarity and confidence; returns the dimensions used.
    #[napi(js_name = "match", catch_unwind)]
    pub fn match_vector(
        &self,
        vector: &[f64],
        temperature: f64,
        mut similarity: Float64Array,
        mut confidence: Float64Array,
    ) -> Result<u32> {
        let (s, c, v) = (bytes(&similarity), bytes(&confidence), bytes(vector));
        if overlaps(s, c) || overlaps(v, s) || overlaps(v, c) {
            return Err(aliased(
                Code::DetectShape,
                "similarity or confidence shares memory with another array",
            ));
        }
        // SAFETY: synchronous call; the two outputs share no byte with each
        // other or with `vector` (checked above).
        let (similarity, confidence) = unsafe { (similarity.as_mut(), confidence.as_mut()) };
        let used = self
            .matcher
            .match_vector(vector, temperature, similarity, confidence)
            .map_err(kernel_error)?;
        Ok(used as u32)
    }

    #[napi(getter)]
    pub fn fingerprints(&self) -> u32 {
        self.matcher.fingerprints() as u32
    }

    #[napi(getter)]
    pub fn dims(&self) -> u32 {
        self.matcher.dims() as u32
    }
}

/// Version of layout/trend.json this addon was built with.
#[napi]
pub fn trend_layout_version() -> u32 {
    crate::detect::trend::TREND_VERSION
}

/// One observation per stream of the zero-shot trend detector
/// (`native/src/detect/trend.rs`): updates the caller's `states` in place and
/// writes each observation's outputs and flags.
#[napi(catch_unwind)]
pub fn trend_step(
    mut states: Float64Array,
    values: &[f64],
    codes: &[i32],
    trials: &[f64],
    mut outputs: Float64Array,
    mut flags: Int32Array,
) -> Result<()> {
    let inputs = [bytes(values), bytes(codes), bytes(trials)];
    let (s, o, f) = (bytes(&states), bytes(&outputs), bytes(&flags));
    if overlaps(s, o)
        || overlaps(s, f)
        || overlaps(o, f)
        || inputs
            .iter()
            .any(|&r| overlaps(r, s) || overlaps(r, o) || overlaps(r, f))
    {
        return Err(aliased(
            Code::DetectShape,
            "states, outputs or flags share memory with another array",
        ));
    }
    // SAFETY: synchronous call; the three written arrays share no byte with
    // each other or with an input (checked above).
    let (states, outputs, flags) = unsafe { (states.as_mut(), outputs.as_mut(), flags.as_mut()) };
    crate::detect::trend::step_batch(states, values, codes, trials, outputs, flags)
        .map_err(kernel_error)
}
