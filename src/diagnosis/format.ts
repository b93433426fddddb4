/**
 * Evidence wording. Every line names the signal, its value and the step, and
 * how far that is from healthy when known, so that a person reading a verdict
 * can find the same numbers in their own dashboards:
 *
 *     kl_ref 0.41 at step 17, +14.2σ from healthy
 */

import { formatNumber, sigma } from "../verdict/words.js";
import type { SignalTrace } from "./context.js";
import type { Point } from "./trace.js";

/** How far a point is from healthy, as a trailing clause (empty when nothing is known). */
export function fromHealthy(p: Point, reference: number): string {
  if (Number.isFinite(p.z)) return `, ${sigma(p.z)} from healthy`;
  if (Number.isFinite(reference)) return ` (healthy ${formatNumber(reference)})`;
  return "";
}

/** "kl_ref 0.41 at step 17, +14.2σ from healthy", with an optional note at the end. */
export function evidenceLine(trace: SignalTrace, p: Point, note?: string): string {
  return `${trace.name} ${formatNumber(p.value)} at step ${p.step}${fromHealthy(p, trace.reference)}${note ? ` (${note})` : ""}`;
}

/** "x40 the healthy 1e-6" when the ratio to a positive reference is known, else "". */
export function timesHealthy(value: number, reference: number): string {
  if (!(Number.isFinite(value) && Number.isFinite(reference) && reference > 0 && value > 0)) return "";
  return `x${formatNumber(value / reference)} the healthy ${formatNumber(reference)}`;
}
