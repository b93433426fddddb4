//! A robust running baseline: EWMA location and scale with Huber-clipped
//! residuals.
//!
//! - `level` moves towards each observation by `w * r`, where `r` is the
//!   residual clipped to ±`clip` scales, and `w = max(alpha, 1/n)` (a plain
//!   running mean for the first 1/alpha observations, then an EWMA);
//! - `spread` is the same EWMA of |clipped residual|, the mean absolute
//!   deviation; `scale = SPREAD_TO_SIGMA * spread` estimates sigma for Gaussian
//!   noise. Clipping bounds how far one outlier can move either, so spikes do
//!   not mask what follows them; the scale can still grow by a factor of about
//!   `1 + w * (clip * SPREAD_TO_SIGMA - 1)` per observation, enough to follow a
//!   real rise of the noise.
//! - The scale has a floor of `min_scale * max(|level|, 1)`, so a constant
//!   stream gives large finite z-scores rather than a division by zero, and
//!   the absolute floor `scale_floor`: a caller that knows a signal's healthy
//!   noise (and divides the signal by it) keeps a stream that happens to be
//!   quieter than that from alarming on ordinary noise.

use super::{state, Options, SPREAD_TO_SIGMA, Z_MAX};

/// The scale an observation is standardized by (state before it).
pub fn scale(s: &[f64], o: &Options) -> f64 {
    let floor = o.min_scale * s[state::LEVEL].abs().max(1.0);
    (SPREAD_TO_SIGMA * s[state::SPREAD])
        .max(floor)
        .max(o.scale_floor)
}

/// Standardized deviation of `x` from the level, within ±`Z_MAX`; 0 for a
/// stream's first observation, which has nothing to deviate from.
pub fn z_score(s: &[f64], x: f64, scale: f64) -> f64 {
    if s[state::COUNT] == 0.0 {
        return 0.0;
    }
    ((x - s[state::LEVEL]) / scale).clamp(-Z_MAX, Z_MAX)
}

/// Learns the finite observation `x`.
pub fn learn(s: &mut [f64], x: f64, o: &Options) {
    let n = s[state::COUNT] + 1.0;
    s[state::COUNT] = n;
    if n == 1.0 {
        s[state::LEVEL] = x;
        s[state::SPREAD] = 0.0;
        return;
    }
    let w = o.alpha.max(1.0 / n);
    let mut r = x - s[state::LEVEL];
    // No clipping before the stream has any spread to measure a residual by.
    if s[state::SPREAD] > 0.0 {
        let limit = o.clip * scale(s, o);
        r = r.clamp(-limit, limit);
    }
    s[state::LEVEL] += w * r;
    s[state::SPREAD] += w * (r.abs() - s[state::SPREAD]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> [f64; state::WIDTH] {
        [0.0; state::WIDTH]
    }

    #[test]
    fn first_observations_are_a_running_mean() {
        let o = Options::default();
        let mut s = fresh();
        learn(&mut s, 10.0, &o);
        assert_eq!((s[state::LEVEL], s[state::SPREAD]), (10.0, 0.0));
        learn(&mut s, 12.0, &o); // w = 1/2, spread 0 so no clip: level 11, spread |2|/2
        assert_eq!((s[state::LEVEL], s[state::SPREAD]), (11.0, 1.0));
        learn(&mut s, 8.0, &o); // w = 1/3, r = -3, limit 3 * 1.2533 > 3: level 10, spread 1 + (3 - 1)/3
        assert_eq!(s[state::LEVEL], 10.0);
        assert!((s[state::SPREAD] - 5.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn outliers_move_the_baseline_by_at_most_clip_scales() {
        let o = Options::default();
        let mut s = fresh();
        for x in [0.0, 1.0, -1.0, 1.0, -1.0] {
            learn(&mut s, x, &o);
        }
        let (level, sc) = (s[state::LEVEL], scale(&s, &o));
        learn(&mut s, 1e12, &o);
        let w = 1.0 / 6.0;
        assert!((s[state::LEVEL] - (level + w * o.clip * sc)).abs() < 1e-12);
    }

    #[test]
    fn z_is_zero_first_then_bounded() {
        let o = Options::default();
        let mut s = fresh();
        assert_eq!(z_score(&s, 5.0, scale(&s, &o)), 0.0);
        learn(&mut s, 5.0, &o);
        // A constant stream: the scale is the floor 1e-9 * 5, z is capped.
        assert_eq!(z_score(&s, 6.0, scale(&s, &o)), Z_MAX);
        assert_eq!(z_score(&s, 5.0, scale(&s, &o)), 0.0);
    }

    #[test]
    fn the_absolute_floor_takes_effect() {
        let o = Options {
            scale_floor: 2.0,
            ..Options::default()
        };
        let mut s = fresh();
        // Before any observation, and for a constant stream: the floor 2, not 1e-9 * level.
        assert_eq!(scale(&s, &o), 2.0);
        learn(&mut s, 5.0, &o);
        assert_eq!(scale(&s, &o), 2.0);
        assert_eq!(z_score(&s, 6.0, scale(&s, &o)), 0.5);
        // Spread 1 after 5, 7: sqrt(pi/2) = 1.2533 is still below the floor.
        learn(&mut s, 7.0, &o);
        assert_eq!(scale(&s, &o), 2.0);
        // Noisier than the floor: the spread decides again.
        for x in [0.0, 12.0, 0.0, 12.0] {
            learn(&mut s, x, &o);
        }
        assert!(scale(&s, &o) > 2.0);
        assert_eq!(scale(&s, &o), SPREAD_TO_SIGMA * s[state::SPREAD]);
    }
}
