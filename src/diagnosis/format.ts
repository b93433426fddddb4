/**
 * Evidence wording. Every line names the signal, its value and the step, and
 * how far that is from healthy when known, so that a person reading a verdict
 * can find the same numbers in their own dashboards:
 *
 *     kl_ref 0.41 at step 17, +14.2σ from healthy
 */
import type { SignalTrace } from "./context.js";
import type { Point } from "./trace.js";

/** A number as evidence shows it: 3 significant digits, exponent form for very large or small magnitudes. */
export function num(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(2).replace(/\.?0+e/, "e");
  return String(Number(x.toPrecision(3)));
}

/** A signed deviation: "+14.2σ", "-3.1σ"; "non-finite" for an infinite z. */
/** Largest |z| written as a number. */
export const SIGMA_SHOWN = 1000;

export function sigma(z: number): string {
  if (!Number.isFinite(z)) return Number.isNaN(z) ? "?σ" : "non-finite";
  // Beyond this the scale was a floor (healthy runs never moved the signal): the number says nothing more.
  if (Math.abs(z) >= SIGMA_SHOWN) return `${z > 0 ? ">+" : "<-"}${SIGMA_SHOWN}σ`;
  const r = Math.round(z * 10) / 10;
  return `${r >= 0 ? "+" : ""}${r.toFixed(1)}σ`;
}

/** How far a point is from healthy, as a trailing clause (empty when nothing is known). */
export function fromHealthy(p: Point, reference: number): string {
  if (Number.isFinite(p.z)) return `, ${sigma(p.z)} from healthy`;
  if (Number.isFinite(reference)) return ` (healthy ${num(reference)})`;
  return "";
}

/** "kl_ref 0.41 at step 17, +14.2σ from healthy", with an optional note at the end. */
export function describe(trace: SignalTrace, p: Point, note?: string): string {
  return `${trace.name} ${num(p.value)} at step ${p.step}${fromHealthy(p, trace.reference)}${note ? ` (${note})` : ""}`;
}

/** "x40 the healthy 1e-6" when the ratio to a positive reference is known, else "". */
export function timesHealthy(value: number, reference: number): string {
  if (!(Number.isFinite(value) && Number.isFinite(reference) && reference > 0 && value > 0)) return "";
  return `x${num(value / reference)} the healthy ${num(reference)}`;
}
