//! Quantiles by selection (no full sort), linear interpolation between order
//! statistics ("type 7": h = (n-1)p, q = v[floor h] + frac(h) (v[floor h + 1] - v[floor h])).
//!
//! Selection runs on integer keys that order like the floats (`order_key`):
//! integer comparisons are cheaper than any float comparator the standard
//! library's `select_nth_unstable` could be given. Order statistics are exact
//! whatever the selection algorithm, so the AssemblyScript kernel's own
//! introselect yields the same values.

/// An i64 that orders like `x` for every non-NaN `x` other than -0.0: the bit
/// pattern, with the magnitude bits flipped for negative numbers (whose bit
/// patterns otherwise grow with magnitude).
pub fn order_key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ ((bits >> 63) & i64::MAX)
}

/// Inverse of `order_key`.
pub fn from_key(key: i64) -> f64 {
    f64::from_bits((key ^ ((key >> 63) & i64::MAX)) as u64)
}

/// Quantiles `ps` (ascending) of the values whose `order_key`s are `keys`,
/// written to `out`. `keys` is reordered; it must be non-empty.
pub fn quantiles(keys: &mut [i64], ps: &[f64], out: &mut [f64]) {
    let n = keys.len();
    debug_assert!(n > 0);
    // Elements right of an already selected index are >= it, so each later
    // (larger) quantile only needs to search the part right of the previous one.
    let mut start = 0usize;
    for (p, q) in ps.iter().zip(out.iter_mut()) {
        let h = (n - 1) as f64 * p;
        let lo = h.floor() as usize;
        let frac = h - lo as f64;
        if lo >= start {
            keys[start..].select_nth_unstable(lo - start);
            start = lo;
        }
        let a = from_key(keys[lo]);
        let b = if frac > 0.0 {
            from_key(*keys[lo + 1..].iter().min().unwrap())
        } else {
            a
        };
        *q = a + frac * (b - a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quantiles_of(values: &[f64]) -> [f64; 3] {
        let mut keys: Vec<i64> = values.iter().map(|&x| order_key(x)).collect();
        let mut q = [0.0; 3];
        quantiles(&mut keys, &[0.1, 0.5, 0.9], &mut q);
        q
    }

    #[test]
    fn keys_order_like_floats_and_invert() {
        let xs = [
            f64::NEG_INFINITY,
            -f64::MAX,
            -1.5,
            -5e-324,
            0.0,
            5e-324,
            1.0,
            2.0,
            f64::MAX,
            f64::INFINITY,
        ];
        for w in xs.windows(2) {
            assert!(order_key(w[0]) < order_key(w[1]), "{} !< {}", w[0], w[1]);
        }
        for &x in &xs {
            assert_eq!(from_key(order_key(x)), x);
        }
    }

    #[test]
    fn interpolates_between_order_statistics() {
        assert_eq!(quantiles_of(&[5.0, 1.0, 4.0, 2.0, 3.0]), [1.4, 3.0, 4.6]);
        assert_eq!(
            quantiles_of(&[-5.0, -1.0, -4.0, -2.0, -3.0]),
            [-4.6, -3.0, -1.4]
        );
    }

    #[test]
    fn single_value_and_duplicates() {
        assert_eq!(quantiles_of(&[7.0]), [7.0; 3]);
        assert_eq!(
            quantiles_of(&[1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0]),
            [0.0, 0.5, 1.0]
        );
    }
}
