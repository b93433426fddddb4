/**
 * How rules turn the strength of their evidence into a confidence.
 *
 * Every rule maps its evidence to a strength in 0..1 with `ramp` (a clamped
 * linear map: 0 at the point where the evidence just starts to count, 1 where
 * it is as strong as it gets) and then to a confidence with
 * `base + span * strength`, plus small documented bonuses for corroborating
 * signals. Linear ramps are easy to read, to document (docs/diagnosis.md) and
 * to test for monotonicity; the exact numbers are judgement, tuned so that a
 * rule's confidence is comparable with a fingerprint's posterior.
 */

/** |z| beyond which a signal has left the healthy band. */
export const BAND = 3;

/** |z| at which a deviation counts as full-strength evidence. */
export const STRONG_Z = 10;

/** No rule claims certainty: telemetry can always be explained some other way. */
export const MAX_CONFIDENCE = 0.97;

/** Clamped linear map of x from [lo, hi] to [0, 1]; 0 for NaN. */
export function ramp(x: number, lo: number, hi: number): number {
  if (Number.isNaN(x)) return 0;
  if (x <= lo) return 0;
  if (x >= hi) return 1;
  return (x - lo) / (hi - lo);
}

/** Strength of a deviation: 0 at the band edge (|z| = 3), 1 at |z| = 10 or beyond (Infinity included). */
export function zStrength(z: number): number {
  return ramp(Math.abs(z), BAND, STRONG_Z);
}

/** Clamps a confidence into [0, MAX_CONFIDENCE]; NaN becomes 0. */
export function clampConfidence(c: number): number {
  if (Number.isNaN(c)) return 0;
  return Math.max(0, Math.min(MAX_CONFIDENCE, c));
}
