//! Two-sided tabular CUSUM (Page 1954) on the clipped z-score:
//! `up = max(0, up + z - k)`, `down = max(0, down - z - k)`, alarm when either
//! exceeds `h`. With z clipped to ±`clip`, one spike adds at most `clip - k`
//! (< `h` at the defaults), so CUSUM answers persistent shifts, not spikes.
//! A shift of d scales (d > k) alarms after about `h / (min(d, clip) - k)`
//! observations.

use super::{flag, state, Options};

/// Accumulates the clipped z of one observation; returns the shift flags.
pub fn update(s: &mut [f64], z: f64, o: &Options) -> i32 {
    let up = (s[state::CUSUM_UP] + z - o.cusum_k).max(0.0);
    let down = (s[state::CUSUM_DOWN] - z - o.cusum_k).max(0.0);
    s[state::CUSUM_UP] = up;
    s[state::CUSUM_DOWN] = down;
    let mut flags = 0;
    if up > o.cusum_h {
        flags |= flag::SHIFT_UP;
    }
    if down > o.cusum_h {
        flags |= flag::SHIFT_DOWN;
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accumulates_excess_over_the_slack_and_alarms_past_h() {
        let o = Options { cusum_k: 0.5, cusum_h: 6.0, ..Options::default() };
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
        let o = Options { cusum_k: 0.5, cusum_h: 6.0, ..Options::default() };
        let mut s = [0.0; state::WIDTH];
        let flags: Vec<i32> = (0..3).map(|_| update(&mut s, -3.0, &o)).collect();
        assert_eq!(flags, [0, 0, flag::SHIFT_DOWN]); // down 2.5, 5, 7.5
    }
}
