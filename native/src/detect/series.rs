//! The univariate scorer: one stream of the detectors turned into an anomaly
//! score in [0, 1] per observation, using only earlier observations (what
//! `rftfm score-series` writes for NAB).
//!
//! 1. Evidence: the sum of each detector's statistic in units of its own alarm
//!    level, |z| / spike + CUSUM / h + Page-Hinkley / lambda (0 in warm-up).
//! 2. Surprise: the evidence standardized by its own history in this series
//!    (EWMA mean and variance, weight `max(SERIES_ALPHA, 1/n)`, 0 for the first
//!    `SERIES_WARMUP` observations), so a series that is always somewhat
//!    excited (periodic, heavy-tailed) needs more to score high than a quiet
//!    one; negative surprise counts as 0.
//! 3. Reporting: a surprise is reported only when it rises above the recent
//!    maximum, which decays by `SERIES_DECAY` per observation, so an anomaly is
//!    reported where it starts, not again at every observation while the
//!    detectors stay excited. Detector score = surprise / (1 + surprise).
//! 4. Range: the range novelty of the observation against every earlier one
//!    (`range`), scored novelty / (novelty + `RANGE_HALF`): a new all-time
//!    extreme beyond the range by `RANGE_HALF` of its width scores 0.5. The
//!    same for an EWMA of the series (weight `SMOOTH_ALPHA`) against the range
//!    of its earlier values, with `SMOOTH_RANGE_HALF`: a sustained excursion
//!    to a new extreme, which single noisy extremes would otherwise hide.
//!
//!    The range score (the larger of the two) is reported on its rising edge
//!    too, with the same decay.
//! 5. Context novelty (after the contextual approach of CAD OSE, our own
//!    simplified form): each observation is quantized into `SERIES_LEVELS`
//!    levels of the range of the earlier observations, and paired with each of
//!    the `SERIES_LAGS` previous levels as a fact (lag, earlier level, level).
//!    The novelty is the fraction of this observation's facts never seen
//!    before in the series (every fact is then remembered, one bit each). Its
//!    surprise is the novelty less its EWMA rate (weight
//!    `SERIES_NOVELTY_ALPHA`), floored at 0; reported on its rising edge (same
//!    decay) as min(1, `SERIES_NOVELTY_GAIN` x surprise). This sees a change of
//!    pattern at an ordinary level (a missing daily cycle, a new rhythm), which
//!    a model of level and scale cannot.
//!
//! The score is the largest of the detector, range and context scores (all 0
//! for the first `SERIES_WARMUP` observations), reported only when it rises
//! above the recent maximum of the reported score, which decays by
//! `SERIES_REPORT_DECAY` per observation (a quieter echo of an alarm is not
//! reported again). A non-finite value scores 1.
//!
//! Memory: fixed per scorer, `SERIES_LAGS` x `SERIES_LEVELS`^2 bytes of
//! facts seen (2 KiB) and `SERIES_LAGS` earlier levels besides the fields;
//! cost O(`SERIES_LAGS`) per observation.

use super::{
    flag, observe, out, range, state, Options, RANGE_HALF, SERIES_ALPHA, SERIES_DECAY,
    SERIES_EPSILON, SERIES_LAGS, SERIES_LEVELS, SERIES_NOVELTY_ALPHA, SERIES_NOVELTY_GAIN,
    SERIES_REPORT_DECAY, SERIES_WARMUP, SMOOTH_ALPHA, SMOOTH_RANGE_HALF,
};

const LEVELS: usize = SERIES_LEVELS as usize;
const LAGS: usize = SERIES_LAGS as usize;

pub struct Series {
    options: Options,
    state: [f64; state::WIDTH],
    row: [f64; out::WIDTH],
    /// Finite observations seen.
    count: f64,
    /// EWMA mean and variance of the evidence.
    mean: f64,
    var: f64,
    /// Decaying maximum of the surprise reported so far.
    recent: f64,
    /// Range of the finite observations so far (lo > hi while empty).
    lo: f64,
    hi: f64,
    /// EWMA of the finite observations, and the range of its values so far.
    smooth: f64,
    smooth_lo: f64,
    smooth_hi: f64,
    /// Decaying maximum of the range score reported so far.
    recent_range: f64,
    /// The levels of the last `LAGS` observations, the latest at `(at + LAGS - 1) % LAGS`
    /// (-1: none, or no range yet), and how many of them there are.
    levels: [i32; LAGS],
    at: usize,
    held: usize,
    /// Facts seen: `seen[(lag - 1) * LEVELS^2 + earlier * LEVELS + level]` is 1 once seen.
    seen: Vec<u8>,
    /// EWMA rate of the context novelty, and the decaying maximum of its surprise.
    novelty_rate: f64,
    recent_context: f64,
    /// Decaying maximum of the score reported so far.
    recent_score: f64,
}

impl Series {
    pub fn new(options: Options) -> Self {
        Series {
            options,
            state: [0.0; state::WIDTH],
            row: [0.0; out::WIDTH],
            count: 0.0,
            mean: 0.0,
            var: 0.0,
            recent: 0.0,
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
            smooth: 0.0,
            smooth_lo: f64::INFINITY,
            smooth_hi: f64::NEG_INFINITY,
            recent_range: 0.0,
            levels: [-1; LAGS],
            at: 0,
            held: 0,
            seen: vec![0; LAGS * LEVELS * LEVELS],
            novelty_rate: 0.0,
            recent_context: 0.0,
            recent_score: 0.0,
        }
    }

    /// The anomaly score of the next observation.
    pub fn score(&mut self, x: f64) -> f64 {
        let flags = observe(&mut self.state, x, &self.options, &mut self.row);
        if flags & flag::NONFINITE != 0 {
            return 1.0;
        }
        let evidence = if flags & flag::WARMUP != 0 {
            0.0
        } else {
            self.evidence()
        };
        let context = self.context(x);
        let mut surprise = 0.0;
        if self.count > SERIES_WARMUP {
            surprise = ((evidence - self.mean) / (self.var + SERIES_EPSILON).sqrt()).max(0.0);
        }
        self.count += 1.0;
        let w = SERIES_ALPHA.max(1.0 / self.count);
        let r = evidence - self.mean;
        self.mean += w * r;
        self.var += w * (r * r - self.var);
        let rising = surprise > self.recent;
        self.recent = surprise.max(self.recent * SERIES_DECAY);
        let detected = if rising {
            surprise / (1.0 + surprise)
        } else {
            0.0
        };
        self.smooth = if self.count == 1.0 {
            x
        } else {
            self.smooth + SMOOTH_ALPHA * (x - self.smooth)
        };
        let (mut ranged, mut smoothed) = (0.0, 0.0);
        if self.count > SERIES_WARMUP {
            let min_scale = self.options.min_scale;
            let novelty = range::novelty(x, self.lo, self.hi, min_scale);
            ranged = novelty / (novelty + RANGE_HALF);
            let novelty = range::novelty(self.smooth, self.smooth_lo, self.smooth_hi, min_scale);
            smoothed = novelty / (novelty + SMOOTH_RANGE_HALF);
        }
        self.lo = self.lo.min(x);
        self.hi = self.hi.max(x);
        self.smooth_lo = self.smooth_lo.min(self.smooth);
        self.smooth_hi = self.smooth_hi.max(self.smooth);
        let novel = ranged.max(smoothed);
        let rising = novel > self.recent_range;
        self.recent_range = novel.max(self.recent_range * SERIES_DECAY);
        let found = if rising {
            detected.max(novel)
        } else {
            detected
        }
        .max(context);
        let rising = found > self.recent_score;
        self.recent_score = found.max(self.recent_score * SERIES_REPORT_DECAY);
        if rising {
            found
        } else {
            0.0
        }
    }

    /// The context score of `x` (step 5), before `count` and the range take it in.
    fn context(&mut self, x: f64) -> f64 {
        let mut level = -1;
        if self.lo <= self.hi {
            let width = (self.hi - self.lo).max(self.options.min_scale * self.hi.abs().max(1.0));
            let q = ((x - self.lo) / width * SERIES_LEVELS).floor();
            level = q.clamp(0.0, SERIES_LEVELS - 1.0) as i32;
        }
        let (mut novel, mut facts) = (0.0, 0.0);
        if level >= 0 {
            for lag in 1..=self.held {
                let earlier = self.levels[(self.at + LAGS - lag) % LAGS];
                if earlier < 0 {
                    continue;
                }
                let fact = ((lag - 1) * LEVELS + earlier as usize) * LEVELS + level as usize;
                facts += 1.0;
                if self.seen[fact] == 0 {
                    novel += 1.0;
                    self.seen[fact] = 1;
                }
            }
        }
        self.levels[self.at] = level;
        self.at = (self.at + 1) % LAGS;
        self.held = (self.held + 1).min(LAGS);
        let novelty = if facts > 0.0 { novel / facts } else { 0.0 };
        let surprise = if self.count > SERIES_WARMUP {
            (novelty - self.novelty_rate).max(0.0)
        } else {
            0.0
        };
        self.novelty_rate += SERIES_NOVELTY_ALPHA * (novelty - self.novelty_rate);
        let rising = surprise > self.recent_context;
        self.recent_context = surprise.max(self.recent_context * SERIES_DECAY);
        if rising {
            (SERIES_NOVELTY_GAIN * surprise).min(1.0)
        } else {
            0.0
        }
    }

    /// Scores the next values of the series (`scores[i]` for `values[i]`).
    pub fn score_all(&mut self, values: &[f64], scores: &mut [f64]) {
        for (x, s) in values.iter().zip(scores.iter_mut()) {
            *s = self.score(*x);
        }
    }

    fn evidence(&self) -> f64 {
        let (r, o) = (&self.row, &self.options);
        let spike = r[out::Z].abs() / o.spike;
        let shift = r[out::CUSUM_UP].max(r[out::CUSUM_DOWN]) / o.cusum_h;
        let drift = r[out::PH_UP].max(r[out::PH_DOWN]) / o.ph_lambda;
        spike + shift + drift
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_a_spike_once_and_stays_in_range() {
        let values: Vec<f64> = (0..400)
            .map(|i| if i == 300 { 50.0 } else { (i % 7) as f64 })
            .collect();
        let mut scores = vec![0.0; values.len()];
        Series::new(Options::default()).score_all(&values, &mut scores);
        assert!(scores.iter().all(|&s| (0.0..=1.0).contains(&s)));
        assert!(scores[300] > 0.9, "the spike stands out: {}", scores[300]);
        assert!(scores[..=100].iter().all(|&s| s == 0.0), "warm-up scores 0");
        assert_eq!(
            scores[301], 0.0,
            "surprise below the recent maximum is not reported again"
        );
    }

    #[test]
    fn a_nonfinite_value_scores_one() {
        let mut series = Series::new(Options::default());
        series.score(1.0);
        assert_eq!(series.score(f64::NAN), 1.0);
    }
}
