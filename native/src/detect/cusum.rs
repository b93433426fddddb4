//! Two-sided tabular CUSUM (Page 1954) on the clipped z-score:
//! `up = max(0, up + z - k)`, `down = max(0, down - z - k)`, alarm when either
//! exceeds `h`. With z clipped to ±`clip`, one spike adds at most `clip - k`
//! (< `h` at the defaults), so CUSUM answers persistent shifts, not spikes.
//! A shift of d scales (d > k) alarms after about `h / (min(d, clip) - k)`
//! observations.

use super::{flag, state, Options};

/// Accumulates the clipped z of one observation; returns the shift flags.
pub fn update(s: &mut [f64], z: f64, o: &Options) -> i32 {
    let slots = (state::CUSUM_UP, state::CUSUM_DOWN);
    two_sided(
        s,
        slots,
        z,
        o.cusum_k,
        o.cusum_h,
        (flag::SHIFT_UP, flag::SHIFT_DOWN),
    )
}

/// One step of a pair of one-sided cumulative sums, the recursion CUSUM and
/// Page-Hinkley share: `up = max(0, up + u - slack)`, `down = max(0, down - u - slack)`
/// in the state `slots`; returns `flags.0` when `up` exceeds `threshold`, `flags.1`
/// when `down` does.
/// x when above 0, else 0 (NaN included): the same in both builds, where
/// `f64::max(0, NaN)` is 0 but AssemblyScript's `max` is NaN.
fn positive(x: f64) -> f64 {
    if x > 0.0 {
        x
    } else {
        0.0
    }
}

pub fn two_sided(
    s: &mut [f64],
    slots: (usize, usize),
    u: f64,
    slack: f64,
    threshold: f64,
    flags: (i32, i32),
) -> i32 {
    // `positive`, not `f64::max`: on a NaN sum (an overflowed input) both builds give 0.
    let up = positive(s[slots.0] + u - slack);
    let down = positive(s[slots.1] - u - slack);
    s[slots.0] = up;
    s[slots.1] = down;
    let mut raised = 0;
    if up > threshold {
        raised |= flags.0;
    }
    if down > threshold {
        raised |= flags.1;
    }
    raised
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accumulates_excess_over_the_slack_and_alarms_past_h() {
        let o = Options {
            cusum_k: 0.5,
            cusum_h: 6.0,
            ..Options::default()
        };
        let mut s = [0.0; state::WIDTH];
        assert_eq!(update(&mut s, 2.5, &o), 0); // up 2
        assert_eq!(update(&mut s, 0.25, &o), 0); // up 1.75
        assert_eq!(s[state::CUSUM_UP], 1.75);
        assert_eq!(update(&mut s, 3.0, &o), 0); // up 4.25
        assert_eq!(update(&mut s, 3.0, &o), flag::SHIFT_UP); // up 6.75
        assert_eq!(s[state::CUSUM_DOWN], 0.0);
    }

    #[test]
    fn the_down_side_mirrors_the_up_side() {
        let o = Options {
            cusum_k: 0.5,
            cusum_h: 6.0,
            ..Options::default()
        };
        let mut s = [0.0; state::WIDTH];
        let flags: Vec<i32> = (0..3).map(|_| update(&mut s, -3.0, &o)).collect();
        assert_eq!(flags, [0, 0, flag::SHIFT_DOWN]); // down 2.5, 5, 7.5
    }
}
