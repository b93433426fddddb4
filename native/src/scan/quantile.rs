//! Quantiles by selection (no full sort), linear interpolation between order
//! statistics ("type 7": h = (n-1)p, q = v[floor h] + frac(h) (v[floor h + 1] - v[floor h])).
//!
//! Order statistics are exact whatever the selection algorithm, so the
//! AssemblyScript kernel's own introselect yields the same values.

/// Quantiles `ps` (ascending) of finite `values`, written to `out`.
/// `values` is reordered; it must be non-empty and hold no NaN.
pub fn quantiles(values: &mut [f64], ps: &[f64], out: &mut [f64]) {
    let n = values.len();
    debug_assert!(n > 0);
    // Elements right of an already selected index are >= it, so each later
    // (larger) quantile only needs to search the part right of the previous one.
    let mut start = 0usize;
    for (p, q) in ps.iter().zip(out.iter_mut()) {
        let h = (n - 1) as f64 * p;
        let lo = h.floor() as usize;
        let frac = h - lo as f64;
        if lo >= start {
            values[start..].select_nth_unstable_by(lo - start, f64::total_cmp);
            start = lo;
        }
        let a = values[lo];
        let b = if frac > 0.0 { min(&values[lo + 1..]) } else { a };
        *q = a + frac * (b - a);
    }
}

fn min(values: &[f64]) -> f64 {
    let mut m = f64::INFINITY;
    for &x in values {
        if x < m {
            m = x;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_between_order_statistics() {
        let mut v = [5.0, 1.0, 4.0, 2.0, 3.0];
        let mut q = [0.0; 3];
        quantiles(&mut v, &[0.1, 0.5, 0.9], &mut q);
        assert_eq!(q, [1.4, 3.0, 4.6]);
    }

    #[test]
    fn single_value_and_duplicates() {
        let mut q = [0.0; 3];
        quantiles(&mut [7.0], &[0.1, 0.5, 0.9], &mut q);
        assert_eq!(q, [7.0; 3]);
        let mut v = [1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        quantiles(&mut v, &[0.1, 0.5, 0.9], &mut q);
        assert_eq!(q, [0.0, 0.5, 1.0]);
    }
}
