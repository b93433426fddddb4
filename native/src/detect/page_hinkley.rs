//! Two-sided Page-Hinkley test (Page 1954; Hinkley 1971) against the mean
//! since the stream's last change, in baseline scales:
//! `u = clip((x - mean) / scale)`, `up = max(0, up + u - delta)`,
//! `down = max(0, down - u - delta)`, alarm when either exceeds `lambda`.
//! (`max(0, ·)` is the recursive form of PH's `m_t - min m`.) The EWMA
//! baseline follows a slow drift, so its z stays small; the mean since the
//! last change does not, so PH sees the drift accumulate. A drift of r scales
//! per observation alarms after about `sqrt(4 * lambda / r)` observations
//! (when `r * t / 2` is well above `delta`).

use super::cusum::two_sided;
use super::{flag, state, Options};

/// Accumulates the deviation of `x` from the mean since the last change;
/// returns the drift flags. Does not learn `x` (see [`learn`]).
pub fn update(s: &mut [f64], x: f64, scale: f64, o: &Options) -> i32 {
    if s[state::PH_COUNT] == 0.0 {
        return 0;
    }
    let u = ((x - s[state::PH_MEAN]) / scale).clamp(-o.clip, o.clip);
    let slots = (state::PH_UP, state::PH_DOWN);
    two_sided(
        s,
        slots,
        u,
        o.ph_delta,
        o.ph_lambda,
        (flag::DRIFT_UP, flag::DRIFT_DOWN),
    )
}

/// Adds the finite observation `x` to the mean since the last change.
pub fn learn(s: &mut [f64], x: f64) {
    let n = s[state::PH_COUNT] + 1.0;
    s[state::PH_COUNT] = n;
    s[state::PH_MEAN] += (x - s[state::PH_MEAN]) / n;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_the_mean_since_the_last_change() {
        let mut s = [0.0; state::WIDTH];
        for x in [2.0, 4.0, 9.0] {
            learn(&mut s, x);
        }
        assert_eq!((s[state::PH_COUNT], s[state::PH_MEAN]), (3.0, 5.0));
    }

    #[test]
    fn accumulates_clipped_deviations_beyond_delta() {
        let o = Options {
            ph_lambda: 4.0,
            ..Options::default()
        }; // delta 0.25, clip 3
        let mut s = [0.0; state::WIDTH];
        assert_eq!(update(&mut s, 100.0, 1.0, &o), 0, "no mean yet");
        learn(&mut s, 0.0);
        assert_eq!(update(&mut s, 2.0, 1.0, &o), 0); // up 1.75
        assert_eq!(update(&mut s, 100.0, 1.0, &o), flag::DRIFT_UP); // u clipped to 3: up 4.5
        assert_eq!(s[state::PH_UP], 4.5);
        assert_eq!(s[state::PH_DOWN], 0.0);
    }
}
