//! e^x, computed the same way by both builds.
//!
//! `f64::exp` calls the platform's libm and AssemblyScript's `Math.exp` is its
//! own port: both are within about an ulp of e^x, not bit for bit equal to
//! each other, and the fingerprint confidences must be. This is musl's `exp`
//! (from FreeBSD's e_exp.c): x = k ln2 + r with |r| <= ln2 / 2, a degree-5
//! Remez approximation of r (e^r + 1) / (e^r - 1), then scaling by 2^k. Every
//! step is a plain f64 operation (no fused multiply-add), and
//! `wasm/assembly/detect/exp.ts` repeats them in the same order. The
//! constants are musl's, written as the shortest decimals that round to the
//! same f64s.

const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// 1 / ln 2.
const INV_LN2: f64 = std::f64::consts::LOG2_E;
const P1: f64 = 1.666_666_666_666_660_2e-1;
const P2: f64 = -2.777_777_777_701_559_3e-3;
const P3: f64 = 6.613_756_321_437_934e-5;
const P4: f64 = -1.653_390_220_546_525_2e-6;
const P5: f64 = 4.138_136_797_057_238_5e-8;
/// Above this e^x overflows, below the other it is 0 (even as a subnormal).
const OVERFLOW: f64 = 709.782_712_893_384;
const UNDERFLOW: f64 = -745.133_219_101_941_1;
/// 2^1023 and 2^-969 (= 2^-1022 2^53), for scaling by 2^k beyond the normal exponents.
const TWO_1023: f64 = 8.98846567431158e307;
const TWO_M969: f64 = 2.004168360008973e-292;

/// e^x: NaN for NaN, +inf above `OVERFLOW`, 0 below `UNDERFLOW`.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > OVERFLOW {
        return f64::INFINITY;
    }
    if x < UNDERFLOW {
        return 0.0;
    }
    // The high word of |x|, which musl compares against its thresholds.
    let hx = ((x.to_bits() >> 32) as u32) & 0x7fff_ffff;
    let k: i32;
    let hi: f64;
    let lo: f64;
    if hx > 0x3fd6_2e42 {
        // |x| > ln2 / 2
        k = if hx >= 0x3ff0_a2b2 {
            // |x| >= 1.5 ln2: round x / ln2 to the nearest integer
            (INV_LN2 * x + if x < 0.0 { -0.5 } else { 0.5 }) as i32
        } else if x < 0.0 {
            -1
        } else {
            1
        };
        hi = x - k as f64 * LN2_HI; // exact
        lo = k as f64 * LN2_LO;
    } else if hx > 0x3e30_0000 {
        // |x| > 2^-28
        k = 0;
        hi = x;
        lo = 0.0;
    } else {
        return 1.0 + x;
    }
    let r = hi - lo;
    let rr = r * r;
    let c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))));
    let y = 1.0 + (r * c / (2.0 - c) - lo + hi);
    if k == 0 {
        y
    } else {
        scale_by_power_of_two(y, k)
    }
}

/// y 2^n (musl's scalbn): in at most three exact steps, so that a subnormal
/// result is rounded once.
fn scale_by_power_of_two(mut y: f64, mut n: i32) -> f64 {
    if n > 1023 {
        y *= TWO_1023;
        n -= 1023;
        if n > 1023 {
            y *= TWO_1023;
            n -= 1023;
            if n > 1023 {
                n = 1023;
            }
        }
    } else if n < -1022 {
        y *= TWO_M969;
        n += 1022 - 53;
        if n < -1022 {
            y *= TWO_M969;
            n += 1022 - 53;
            if n < -1022 {
                n = -1022;
            }
        }
    }
    y * f64::from_bits(((0x3ff + n) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in ulps between two positive finite f64s.
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn the_scaling_constants_are_exact_powers_of_two() {
        assert_eq!(TWO_1023, f64::from_bits(((0x3ff + 1023) as u64) << 52));
        assert_eq!(TWO_M969, f64::from_bits(((0x3ff - 969) as u64) << 52));
    }

    #[test]
    fn the_constants_are_fdlibms() {
        let bits = [LN2_HI, LN2_LO, INV_LN2, P1, P2, P3, P4, P5].map(f64::to_bits);
        assert_eq!(
            bits,
            [
                0x3fe6_2e42_fee0_0000,
                0x3dea_39ef_3579_3c76,
                0x3ff7_1547_652b_82fe,
                0x3fc5_5555_5555_553e,
                0xbf66_c16c_16be_bd93,
                0x3f11_566a_af25_de2c,
                0xbebb_bd41_c5d2_6bf1,
                0x3e66_3769_72be_a4d0,
            ]
        );
    }

    #[test]
    fn special_values() {
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        // fdlibm's e^1 is 1 ulp above e (as Java's StrictMath.exp(1) is): within an ulp, not correctly rounded.
        assert_eq!(exp(1.0), 2.7182818284590455);
        assert_eq!(exp(-746.0), 0.0);
        assert!(exp(-744.0) > 0.0); // subnormal
    }

    #[test]
    fn within_an_ulp_of_the_platform_exp() {
        let mut worst = 0;
        for i in 0..=200_000 {
            // From -745 to 709, every branch and the subnormal range included.
            let x = -745.0 + 1454.0 * (i as f64 / 200_000.0);
            let (a, b) = (exp(x), x.exp());
            if b > f64::MIN_POSITIVE {
                worst = worst.max(ulps(a, b));
            } else {
                assert!((a - b).abs() <= 2.0 * f64::from_bits(1), "x = {x}");
            }
        }
        for x in [
            1e-9, -1e-9, 0.3, -0.3, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 1e-300,
        ] {
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        assert!(worst <= 1, "worst {worst} ulps");
    }
}
