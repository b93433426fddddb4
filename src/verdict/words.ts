/**
 * How verdicts are written for people: numbers, deviations, anomalies and
 * actions, in evidence lines, decision reasons, the CLI's reports and tables.
 * One wording everywhere, so that the same number reads the same in a log, a
 * table and a report, and stays stable (tests compare the renderings exactly).
 */
import type { Action, Anomaly } from "./types.js";

/** Magnitudes written in exponent form: below this, and from `EXPONENT_FROM` up. */
const EXPONENT_BELOW = 1e-3;
const EXPONENT_FROM = 1e5;
/** Digits after the point of an exponent form's mantissa (at most: trailing zeros are dropped). */
const EXPONENT_DECIMALS = 2;

/**
 * A number for a person: `significant` digits (3 by default: evidence and
 * reasons; tables show 4), a whole number below 1e5 as it is, exponent form
 * with at most 3 digits below 1e-3 and from 1e5 (`4.2e+5`, `1.38e-4`, `1e-6`),
 * non-finite values spelled out.
 */
export function formatNumber(x: number, significant = 3): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= EXPONENT_FROM || a < EXPONENT_BELOW) return x.toExponential(EXPONENT_DECIMALS).replace(/\.?0+e/, "e");
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(significant)));
}

/** Largest |z| written as a number. */
export const SIGMA_SHOWN = 1000;

/** A signed deviation: "+14.2σ", "-3.1σ"; "non-finite" for an infinite z. */
export function sigma(z: number): string {
  if (!Number.isFinite(z)) return Number.isNaN(z) ? "?σ" : "non-finite";
  // Beyond this the scale was a floor (healthy runs never moved the signal): the number says nothing more.
  if (Math.abs(z) >= SIGMA_SHOWN) return `${z > 0 ? ">+" : "<-"}${SIGMA_SHOWN}σ`;
  const r = Math.round(z * 10) / 10;
  return `${r >= 0 ? "+" : ""}${r.toFixed(1)}σ`;
}

/** An anomaly's score as the diagnosis evidence writes deviations ("+9.1σ", ">+1000σ"). */
const deviation = (a: Anomaly) =>
  a.detector === "nonfinite" ? "non-finite" : sigma(a.direction === "up" ? a.score : -a.score);

/** "kl_ref +9.1σ (prior), loss non-finite (nonfinite)": the first `most` anomalies, and how many more. */
export function describeAnomalies(anomalies: readonly Anomaly[], most = 4): string {
  // An anomaly that says its test in words (the detect stage's) is shown by it; a score alone is a deviation.
  const shown = anomalies
    .slice(0, most)
    .map((a) =>
      a.reason ? `${a.signal}: ${a.reason} (${a.detector})` : `${a.signal} ${deviation(a)} (${a.detector})`,
    );
  return shown.join(", ") + (anomalies.length > most ? `, +${anomalies.length - most} more` : "");
}

/** "rollback to 30", "scale_lr 0.5", "set_hparam kl_coef=0.2", "halt". */
export function describeAction(action: Action): string {
  switch (action.kind) {
    case "rollback":
      return `rollback to ${action.to_step}`;
    case "scale_lr":
      return `scale_lr ${formatNumber(action.factor)}`;
    case "set_hparam":
      return `set_hparam ${action.name}=${formatNumber(action.value)}`;
    case "filter_groups":
      return `filter_groups ${action.mode}`;
    case "quarantine_prompts":
      return `quarantine_prompts ${action.prompt_ids.length}`;
    default:
      return action.kind;
  }
}

/** "rollback to 30 + scale_lr 0.5"; "nothing" for none. */
export function describeActions(actions: readonly Action[]): string {
  return actions.length === 0 ? "nothing" : actions.map(describeAction).join(" + ");
}
