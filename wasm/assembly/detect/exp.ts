// e^x, computed the same way by both builds. Mirrors native/src/detect/exp.rs
// (why there): musl's exp (FreeBSD e_exp.c), the same f64 operations in the
// same order, instead of Math.exp, whose last bit can differ from Rust's libm.
// The constants are musl's, as the shortest decimals of the same f64s.

const LN2_HI: f64 = 6.931471803691238e-1;
const LN2_LO: f64 = 1.9082149292705877e-10;
const INV_LN2: f64 = 1.4426950408889634;
const P1: f64 = 1.6666666666666602e-1;
const P2: f64 = -2.7777777777015593e-3;
const P3: f64 = 6.613756321437934e-5;
const P4: f64 = -1.6533902205465252e-6;
const P5: f64 = 4.1381367970572385e-8;
/** Above this e^x overflows, below the other it is 0 (even as a subnormal). */
const OVERFLOW: f64 = 709.782712893384;
const UNDERFLOW: f64 = -745.1332191019411;
/** 2^1023 and 2^-969 (= 2^-1022 2^53), for scaling by 2^k beyond the normal exponents. */
const TWO_1023: f64 = 8.98846567431158e307;
const TWO_M969: f64 = 2.004168360008973e-292;

/** e^x: NaN for NaN, +inf above OVERFLOW, 0 below UNDERFLOW. */
export function exp(x: f64): f64 {
  if (isNaN<f64>(x)) return x;
  if (x > OVERFLOW) return Infinity;
  if (x < UNDERFLOW) return 0.0;
  // The high word of |x|, which musl compares against its thresholds.
  const hx = <u32>(reinterpret<u64>(x) >> 32) & 0x7fffffff;
  let k: i32 = 0;
  let hi: f64 = 0.0;
  let lo: f64 = 0.0;
  if (hx > 0x3fd62e42) {
    // |x| > ln2 / 2
    if (hx >= 0x3ff0a2b2) {
      // |x| >= 1.5 ln2: round x / ln2 to the nearest integer
      k = <i32>(INV_LN2 * x + (x < 0.0 ? -0.5 : 0.5));
    } else {
      k = x < 0.0 ? -1 : 1;
    }
    hi = x - <f64>k * LN2_HI; // exact
    lo = <f64>k * LN2_LO;
  } else if (hx > 0x3e300000) {
    // |x| > 2^-28
    hi = x;
  } else {
    return 1.0 + x;
  }
  const r = hi - lo;
  const rr = r * r;
  const c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))));
  const y = 1.0 + ((r * c) / (2.0 - c) - lo + hi);
  return k == 0 ? y : scaleByPowerOfTwo(y, k);
}

/** y 2^n (musl's scalbn): in at most three exact steps, so that a subnormal result is rounded once. */
function scaleByPowerOfTwo(y: f64, n: i32): f64 {
  if (n > 1023) {
    y *= TWO_1023;
    n -= 1023;
    if (n > 1023) {
      y *= TWO_1023;
      n -= 1023;
      if (n > 1023) n = 1023;
    }
  } else if (n < -1022) {
    y *= TWO_M969;
    n += 1022 - 53;
    if (n < -1022) {
      y *= TWO_M969;
      n += 1022 - 53;
      if (n < -1022) n = -1022;
    }
  }
  return y * reinterpret<f64>(<u64>(0x3ff + n) << 52);
}
