//! Range novelty: how far an observation falls outside the range of every
//! earlier observation of the series, in units of that range's width (0
//! inside it). A new all-time high or low is what many incidents look like
//! in a metric that has been running for a while, even when the baseline's
//! scale (which follows recent noise) would call it ordinary.

/// Novelty of `x` against the range [`lo`, `hi`] (0 while the range is empty,
/// lo > hi). The width has the floor `min_scale * max(|hi|, 1)`, as the
/// baseline's scale has.
pub fn novelty(x: f64, lo: f64, hi: f64, min_scale: f64) -> f64 {
    if lo > hi {
        return 0.0;
    }
    let width = (hi - lo).max(min_scale * hi.abs().max(1.0));
    ((x - hi).max(0.0) + (lo - x).max(0.0)) / width
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_the_excess_over_the_range_in_widths() {
        assert_eq!(novelty(5.0, f64::INFINITY, f64::NEG_INFINITY, 1e-9), 0.0);
        assert_eq!(novelty(3.0, 2.0, 4.0, 1e-9), 0.0);
        assert_eq!(novelty(5.0, 2.0, 4.0, 1e-9), 0.5);
        assert_eq!(novelty(-2.0, 2.0, 4.0, 1e-9), 2.0);
        // A constant series so far: the floor width 1e-9 * 4.
        assert_eq!(
            novelty(4.0 + 4e-9, 4.0, 4.0, 1e-9),
            (4.0 + 4e-9 - 4.0) / 4e-9
        );
    }
}
