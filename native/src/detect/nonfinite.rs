//! Non-finite detection: NaN and ±Infinity are reported (`flag::NONFINITE`)
//! and never reach the baseline or the change detectors, whose state would be
//! poisoned for good by a single NaN.

/// Whether an observation is NaN or infinite.
pub fn is_nonfinite(x: f64) -> bool {
    !x.is_finite()
}

#[cfg(test)]
mod tests {
    #[test]
    fn flags_nan_and_infinities_only() {
        assert!(super::is_nonfinite(f64::NAN));
        assert!(super::is_nonfinite(f64::INFINITY));
        assert!(super::is_nonfinite(f64::NEG_INFINITY));
        assert!(!super::is_nonfinite(f64::MAX));
        assert!(!super::is_nonfinite(-0.0));
    }
}
