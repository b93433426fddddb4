//! Healthy prior scoring: a value against what healthy runs showed for the
//! same signal at the same point of training.
//!
//! The streaming baseline only knows a run's own past, so it follows a fault
//! that is there from the start, and it calls the ordinary course of training
//! (KL rising from 0, entropy falling) a change. A prior table, learnt
//! elsewhere from healthy runs, holds a reference center and scale for each
//! signal and training-step bucket; a value's z against its cell says how far
//! the run is from healthy runs at that point, whatever its own history.
//!
//! The table is `signals x buckets` cells, row-major by signal (cell
//! `s * buckets + b`). Observation i of a batch is scored against the cell of
//! signal `signals[i]` and bucket `min(steps[i], buckets - 1)` (the last
//! bucket holds every later step):
//!
//! `z = (value - center) / scale`, within ±`Z_MAX`; NaN when the value is not
//! finite, or the cell has no reference (center or scale not finite, scale 0).
//! A NaN scale is how a table marks a cell without reference; a negative one
//! is refused.

use super::Z_MAX;
use crate::error::KernelError;

#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    signals: usize,
    buckets: usize,
    center: Vec<f64>,
    scale: Vec<f64>,
}

impl Prior {
    /// A table of `signals x buckets` cells (row-major by signal).
    pub fn new(
        signals: usize,
        buckets: usize,
        center: &[f64],
        scale: &[f64],
    ) -> Result<Self, KernelError> {
        if signals == 0 || buckets == 0 {
            return Err(KernelError::detect_shape(format!(
                "a prior table needs at least one signal and one bucket (signals {signals}, buckets {buckets})"
            )));
        }
        let cells = signals as u128 * buckets as u128;
        if center.len() as u128 != cells || scale.len() as u128 != cells {
            return Err(KernelError::detect_shape(format!(
                "center ({}) and scale ({}) must have signals x buckets ({signals} x {buckets} = {cells}) entries",
                center.len(),
                scale.len()
            )));
        }
        if let Some(i) = scale.iter().position(|&s| s < 0.0) {
            return Err(KernelError::detect_shape(format!(
                "scale {} of signal {}, bucket {} is negative (NaN marks a cell without reference)",
                scale[i],
                i / buckets,
                i % buckets
            )));
        }
        Ok(Prior {
            signals,
            buckets,
            center: center.to_vec(),
            scale: scale.to_vec(),
        })
    }

    pub fn signals(&self) -> usize {
        self.signals
    }

    pub fn buckets(&self) -> usize {
        self.buckets
    }

    /// Scores observation i (`values[i]` of signal `signals[i]` at training
    /// step `steps[i]`) into `z[i]`. Checks the whole batch first: a refused
    /// batch writes nothing.
    pub fn score(
        &self,
        signals: &[u32],
        steps: &[u32],
        values: &[f64],
        z: &mut [f64],
    ) -> Result<(), KernelError> {
        let n = values.len();
        if signals.len() != n || steps.len() != n || z.len() != n {
            return Err(KernelError::detect_shape(format!(
                "signals ({}), steps ({}), values ({n}) and z ({}) must have one entry per observation",
                signals.len(),
                steps.len(),
                z.len()
            )));
        }
        if let Some(i) = signals.iter().position(|&s| s as usize >= self.signals) {
            return Err(KernelError::detect_shape(format!(
                "signal {} of observation {i} is not below signals ({})",
                signals[i], self.signals
            )));
        }
        let last = self.buckets - 1;
        for i in 0..n {
            let cell = signals[i] as usize * self.buckets + (steps[i] as usize).min(last);
            z[i] = z_of(values[i], self.center[cell], self.scale[cell]);
        }
        Ok(())
    }
}

/// Settings of [`accumulate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Accumulation {
    /// Slack: the |z| a healthy run may keep up for ever without alarming.
    pub k: f64,
    /// Each |z| counts at most this much (one wild value cannot alarm alone).
    pub clip: f64,
    /// Decision interval: an alarm when the sum exceeds it.
    pub h: f64,
}

impl Accumulation {
    pub fn check(&self) -> Result<(), KernelError> {
        let ok = |x: f64| x.is_finite();
        if !(ok(self.k)
            && self.k >= 0.0
            && ok(self.clip)
            && self.clip > 0.0
            && ok(self.h)
            && self.h > 0.0)
        {
            return Err(KernelError::detect_shape(format!(
                "accumulation needs k >= 0, clip > 0 and h > 0, all finite (k {}, clip {}, h {})",
                self.k, self.clip, self.h
            )));
        }
        Ok(())
    }
}

/// A one-sided CUSUM of |z| against the prior, per signal: a deviation from
/// healthy runs that is moderate but lasts (a KL penalty left off, a corrupted
/// data shard) adds up where no single step crosses the prior's threshold.
///
/// For each i: `s = max(0, sums[i] + min(|z[i]|, clip) - k)`; above `h` it
/// alarms (`alarms[i] = 1`) and starts over at 0, so a lasting deviation
/// alarms again every few steps rather than on every step. A NaN z (no
/// reference, no value) leaves the sum as it is. Checks the shapes first: a
/// refused call writes nothing.
pub fn accumulate(
    sums: &mut [f64],
    z: &[f64],
    settings: Accumulation,
    alarms: &mut [u8],
) -> Result<(), KernelError> {
    settings.check()?;
    if z.len() != sums.len() || alarms.len() != sums.len() {
        return Err(KernelError::detect_shape(format!(
            "sums ({}), z ({}) and alarms ({}) must have one entry per signal",
            sums.len(),
            z.len(),
            alarms.len()
        )));
    }
    for i in 0..sums.len() {
        alarms[i] = 0;
        if z[i].is_nan() {
            continue;
        }
        let s = (sums[i] + z[i].abs().min(settings.clip) - settings.k).max(0.0);
        if s > settings.h {
            alarms[i] = 1;
            sums[i] = 0.0;
        } else {
            sums[i] = s;
        }
    }
    Ok(())
}

/// The z of `x` against a cell; NaN when `x` is not finite or the cell has no reference.
pub fn z_of(x: f64, center: f64, scale: f64) -> f64 {
    if !x.is_finite() || !center.is_finite() || !scale.is_finite() || scale <= 0.0 {
        return f64::NAN;
    }
    ((x - center) / scale).clamp(-Z_MAX, Z_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2 signals x 3 buckets. Signal 0: centers 0, 10, 20, scales 1, 2, 4.
    /// Signal 1: bucket 0 without a center, bucket 1 without a scale (NaN),
    /// bucket 2 with scale 0: no reference anywhere but bucket 2's center.
    fn table() -> Prior {
        let nan = f64::NAN;
        Prior::new(
            2,
            3,
            &[0.0, 10.0, 20.0, nan, 5.0, 5.0],
            &[1.0, 2.0, 4.0, 1.0, nan, 0.0],
        )
        .unwrap()
    }

    fn score(prior: &Prior, signals: &[u32], steps: &[u32], values: &[f64]) -> Vec<f64> {
        let mut z = vec![0.0; values.len()];
        prior.score(signals, steps, values, &mut z).unwrap();
        z
    }

    #[test]
    fn scores_against_the_cell_of_the_signal_and_step_by_hand() {
        let prior = table();
        let z = score(
            &prior,
            &[0, 0, 0, 0, 0],
            &[0, 1, 2, 7, u32::MAX],
            &[3.0, 13.0, 14.0, 30.0, 18.0],
        );
        // (3 - 0)/1, (13 - 10)/2, (14 - 20)/4; steps 7 and u32::MAX fall in the last bucket.
        assert_eq!(z, vec![3.0, 1.5, -1.5, 2.5, -0.5]);
    }

    #[test]
    fn nan_without_a_reference_or_a_finite_value() {
        let prior = table();
        let z = score(
            &prior,
            &[1, 1, 1, 1, 0, 0],
            &[0, 1, 2, 9, 0, 0],
            &[5.0, 5.0, 5.0, 5.0, f64::NAN, f64::INFINITY],
        );
        assert!(z.iter().all(|z| z.is_nan()), "{z:?}");
    }

    #[test]
    fn clamps_to_z_max() {
        let prior = Prior::new(1, 1, &[0.0], &[1e-300]).unwrap();
        assert_eq!(
            score(&prior, &[0, 0, 0], &[0, 0, 0], &[1.0, -1.0, 0.0]),
            vec![Z_MAX, -Z_MAX, 0.0]
        );
    }

    #[test]
    fn refuses_bad_tables() {
        assert!(Prior::new(0, 3, &[], &[])
            .unwrap_err()
            .message
            .contains("at least one signal"));
        assert!(Prior::new(2, 0, &[], &[])
            .unwrap_err()
            .message
            .contains("at least one signal"));
        assert!(Prior::new(2, 3, &[0.0; 5], &[1.0; 6])
            .unwrap_err()
            .message
            .contains("center (5)"));
        assert!(Prior::new(2, 3, &[0.0; 6], &[1.0; 7])
            .unwrap_err()
            .message
            .contains("scale (7)"));
        let err = Prior::new(2, 3, &[0.0; 6], &[1.0, 1.0, 1.0, 1.0, -2.0, 1.0]).unwrap_err();
        assert_eq!(
            err.message,
            "scale -2 of signal 1, bucket 1 is negative (NaN marks a cell without reference)"
        );
        assert!(Prior::new(1, 1, &[0.0], &[f64::NEG_INFINITY]).is_err());
        assert!(Prior::new(1, 1, &[f64::NAN], &[f64::NAN]).is_ok());
    }

    #[test]
    fn accumulates_lasting_deviations_by_hand() {
        let settings = Accumulation {
            k: 2.0,
            clip: 8.0,
            h: 10.0,
        };
        let mut sums = vec![0.0, 0.0, 5.0, 9.0];
        let mut alarms = vec![9u8; 4];
        // |z| 3 adds 1; |z| 1 is under the slack (stays 0); NaN keeps 5; 1e6 counts as 8: 9 + 6 = 15 > 10.
        accumulate(
            &mut sums,
            &[-3.0, 1.0, f64::NAN, 1e6],
            settings,
            &mut alarms,
        )
        .unwrap();
        assert_eq!(sums, vec![1.0, 0.0, 5.0, 0.0]);
        assert_eq!(alarms, vec![0, 0, 0, 1]);
        // A lasting |z| of 4 alarms on the 6th step (2 per step, above 10), then starts over.
        let mut s = vec![0.0];
        let mut a = vec![0u8];
        let fired: Vec<u8> = (0..12)
            .map(|_| {
                accumulate(&mut s, &[4.0], settings, &mut a).unwrap();
                a[0]
            })
            .collect();
        assert_eq!(fired, vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
        // Infinity counts as clip.
        let mut s = vec![0.0];
        accumulate(&mut s, &[f64::NEG_INFINITY], settings, &mut a).unwrap();
        assert_eq!(s, vec![6.0]);
    }

    #[test]
    fn accumulate_refuses_bad_settings_and_shapes_without_writing() {
        let mut sums = vec![1.0; 2];
        let mut alarms = vec![7u8; 2];
        for bad in [
            Accumulation {
                k: -1.0,
                clip: 8.0,
                h: 10.0,
            },
            Accumulation {
                k: 2.0,
                clip: 0.0,
                h: 10.0,
            },
            Accumulation {
                k: 2.0,
                clip: 8.0,
                h: f64::NAN,
            },
        ] {
            assert!(accumulate(&mut sums, &[1.0, 1.0], bad, &mut alarms).is_err());
        }
        let ok = Accumulation {
            k: 2.0,
            clip: 8.0,
            h: 10.0,
        };
        assert!(accumulate(&mut sums, &[1.0], ok, &mut alarms).is_err());
        assert!(accumulate(&mut sums, &[1.0, 1.0], ok, &mut alarms[..1]).is_err());
        assert_eq!((sums, alarms), (vec![1.0; 2], vec![7u8; 2]));
    }

    #[test]
    fn refuses_bad_batches_without_writing() {
        let prior = table();
        let mut z = vec![7.0; 2];
        let err = prior
            .score(&[0, 2], &[0, 0], &[1.0, 1.0], &mut z)
            .unwrap_err();
        assert_eq!(
            err.message,
            "signal 2 of observation 1 is not below signals (2)"
        );
        assert!(prior.score(&[0, 0], &[0], &[1.0, 1.0], &mut z).is_err());
        assert!(prior
            .score(&[0, 0], &[0, 0], &[1.0, 1.0], &mut z[..1])
            .is_err());
        assert_eq!(z, vec![7.0; 2]);
    }
}
