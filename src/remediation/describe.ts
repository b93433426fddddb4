/**
 * A confidence as decision reasons write it. Every decision carries a reason a
 * person can read in a log ("step 42: lr_too_high (0.81): level 0 adjust:
 * scale_lr 0.5"); numbers and actions are worded by src/verdict/words.ts.
 */

/** A confidence for a reason: two decimals. */
export function conf(x: number | null): string {
  return x === null ? "non-finite data" : String(Number(x.toFixed(2)));
}
