//! Mean, standard deviation and correlation that neither overflow nor underflow.
//!
//! Values are multiplied by a power of two that brings the largest magnitude into
//! [1, 4) before summing. Scaling by a power of two is exact, so this costs no
//! accuracy, and sums of up to ~2^50 values can neither overflow (values near
//! f64::MAX) nor lose everything to subnormals (values near 1e-308).
//! The AssemblyScript kernels (`wasm/assembly/scan/moments.ts`) follow the same
//! operation order (`lane_sum`), so both backends produce the same bits.

/// Power of two `k` such that `max_abs * k` lies in [1, 4) (in [2^-52, 1) for
/// subnormal `max_abs`); 1 for zero or non-finite input.
pub fn pow2_scale(max_abs: f64) -> f64 {
    if max_abs == 0.0 || !max_abs.is_finite() {
        return 1.0;
    }
    let biased = ((max_abs.to_bits() >> 52) & 0x7ff) as i64;
    let exponent = (biased - 1023).clamp(-1022, 1022);
    f64::from_bits(((1023 - exponent) as u64) << 52)
}

/// Sum of `f(x)` over `values` in four interleaved lanes (element i goes to
/// lane i % 4, the tail after the last full quadruple to a fifth sum), combined
/// as ((l0 + l1) + (l2 + l3)) + tail. Independent lanes let the CPU overlap the
/// additions; the fixed order keeps the AssemblyScript kernel's bits equal.
#[inline(always)]
fn lane_sum(values: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut lanes = [0.0f64; 4];
    let quads = values.chunks_exact(4);
    let tail = quads.remainder();
    for q in quads {
        lanes[0] += f(q[0]);
        lanes[1] += f(q[1]);
        lanes[2] += f(q[2]);
        lanes[3] += f(q[3]);
    }
    let mut rest = 0.0;
    for &x in tail {
        rest += f(x);
    }
    ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + rest
}

/// Population mean and standard deviation of finite `values`, whose largest
/// magnitude is `max_abs`. NaN for an empty slice.
pub fn mean_std(values: &[f64], max_abs: f64) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = values.len() as f64;
    let k = pow2_scale(max_abs);
    let scaled_mean = lane_sum(values, |x| x * k) / n;
    let squares = lane_sum(values, |x| {
        let d = x * k - scaled_mean;
        d * d
    });
    (scaled_mean / k, (squares / n).sqrt() / k)
}

/// Largest magnitude in `values` (0 for an empty slice).
pub fn max_abs(values: &[f64]) -> f64 {
    let mut m = 0.0f64;
    for &x in values {
        let a = x.abs();
        if a > m {
            m = a;
        }
    }
    m
}

/// Pearson correlation over the rows where both `x` and `y` are finite.
/// NaN when fewer than two such rows exist or either side is constant.
pub fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let mut n = 0usize;
    let (mut mx, mut my) = (0.0f64, 0.0f64);
    for (&a, &b) in x.iter().zip(y) {
        if a.is_finite() && b.is_finite() {
            n += 1;
            if a.abs() > mx {
                mx = a.abs();
            }
            if b.abs() > my {
                my = b.abs();
            }
        }
    }
    if n < 2 {
        return f64::NAN;
    }
    let (kx, ky) = (pow2_scale(mx), pow2_scale(my));
    let (mut sx, mut sy) = (0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        if a.is_finite() && b.is_finite() {
            sx += a * kx;
            sy += b * ky;
        }
    }
    let (cx, cy) = (sx / n as f64, sy / n as f64);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        if a.is_finite() && b.is_finite() {
            let (dx, dy) = (a * kx - cx, b * ky - cy);
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
    }
    if sxx == 0.0 || syy == 0.0 {
        return f64::NAN;
    }
    (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_brings_magnitude_into_range() {
        for &m in &[1.0, 3.9, 1e-300, 5e-324, 1e300, f64::MAX, 0.75] {
            let s = m * pow2_scale(m);
            assert!(s > 0.0 && s < 4.0, "{m} scaled to {s}");
        }
        assert_eq!(pow2_scale(0.0), 1.0);
        assert_eq!(pow2_scale(f64::INFINITY), 1.0);
    }

    #[test]
    fn mean_std_of_simple_values() {
        let (m, s) = mean_std(&[1.0, 2.0, 3.0, 4.0], 4.0);
        assert_eq!(m, 2.5);
        assert!((s - 1.25f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn mean_std_survive_extreme_magnitudes() {
        let (m, s) = mean_std(&[f64::MAX, f64::MAX], f64::MAX);
        assert_eq!((m, s), (f64::MAX, 0.0));
        let v = [1e300, -1e300];
        let (m, s) = mean_std(&v, max_abs(&v));
        assert_eq!(m, 0.0);
        assert!((s / 1e300 - 1.0).abs() < 1e-15);
        let tiny = [5e-324, 1e-323];
        let (m, _) = mean_std(&tiny, max_abs(&tiny));
        assert!(m > 0.0);
    }

    #[test]
    fn correlation_signs_and_degenerate_cases() {
        let x = [1.0, 2.0, 3.0, f64::NAN];
        assert!((correlation(&x, &[2.0, 4.0, 6.0, 1.0]) - 1.0).abs() < 1e-15);
        assert!((correlation(&x, &[3.0, 2.0, 1.0, 0.0]) + 1.0).abs() < 1e-15);
        assert!(correlation(&x, &[1.0, 1.0, 1.0, 1.0]).is_nan());
        assert!(correlation(&[1.0], &[1.0]).is_nan());
    }
}
