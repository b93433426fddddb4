//! Spike detection: a single observation far from the baseline. Judged on the
//! unclipped z, so it fires on the first outlier (no delay); the Huber clip in
//! the baseline keeps one spike from moving the level or inflating the scale.

use super::flag;

/// `flag::SPIKE` when |z| exceeds `threshold`, else 0.
pub fn check(z: f64, threshold: f64) -> i32 {
    if z.abs() > threshold {
        flag::SPIKE
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_beyond_the_threshold_either_way() {
        assert_eq!(check(6.5, 6.0), flag::SPIKE);
        assert_eq!(check(-6.5, 6.0), flag::SPIKE);
        assert_eq!(check(6.0, 6.0), 0);
        assert_eq!(check(f64::NAN, 6.0), 0);
    }
}
