/**
 * The policy's knobs, their defaults, and their validation. Options are
 * checked once, when the policy is built (a bad option is a programming error
 * and throws there), so that `decide` itself never has to throw.
 */
import { ACTION_KINDS, type ActionKind } from "../verdict/types.js";

export interface PolicyOptions {
  /** `act`: actions are returned to be applied; `advise`: the same decisions, the would-be actions come back as recommendations. */
  mode: "act" | "advise";
  /** Action kinds the policy may emit (default: all). A disallowed action is dropped and logged; a ladder level whose defining action is disallowed is skipped. */
  allowed: readonly ActionKind[];
  /** Steps after an action during which no new action round starts (escalations ignore it). */
  cooldown: number;
  /** Most action rounds per run; once spent, one final halt (alert if halt is not allowed), then nothing. */
  budget: number;
  /** Steps after an action over which recovery is judged before escalating. */
  verifySteps: number;
  /** Below this confidence the diagnosis is too uncertain for a fault-specific remedy: alert only. */
  minConfidence: number;
  /** Known-good hyperparameters from the trainer adapter (kl_coef, temperature, max_response_length, grad_clip, lr, ...), used by `set_hparam` remedies. */
  reference: Readonly<Record<string, number>>;
  /** Most runs whose state is kept; the least recently seen run is forgotten first. */
  maxRuns: number;
  /**
   * Alarmed points in a row the same fault must lead the diagnosis, at the
   * confidence `minConfidence` or more, before any action beyond an alert: one
   * step's ranking can be noise, and a wrong rollback or halt costs a healthy
   * run more than a late one costs a faulty one.
   */
  confirmPoints: number;
  /** Logged points a run needs before its first fix: an alarm on a run with less history is an alert. */
  minHistory: number;
}

export const POLICY_DEFAULTS: Readonly<PolicyOptions> = Object.freeze({
  mode: "act",
  allowed: ACTION_KINDS,
  cooldown: 5,
  budget: 3,
  verifySteps: 4,
  minConfidence: 0.3,
  reference: Object.freeze({}),
  maxRuns: 10_000,
  confirmPoints: 3,
  minHistory: 8,
});

const isCount = (x: unknown, min: number): x is number => typeof x === "number" && Number.isInteger(x) && x >= min;

/** Fills in defaults and checks every option; throws a `RangeError` naming the first bad one. */
export function resolveOptions(options: Partial<PolicyOptions> = {}): PolicyOptions {
  const o = { ...POLICY_DEFAULTS, ...stripUndefined(options) };
  if (o.mode !== "act" && o.mode !== "advise")
    throw new RangeError(`remediation: mode must be "act" or "advise", got ${String(o.mode)}`);
  if (!Array.isArray(o.allowed)) throw new RangeError("remediation: allowed must be an array of action kinds");
  for (const kind of o.allowed) {
    if (!ACTION_KINDS.includes(kind))
      throw new RangeError(`remediation: unknown action kind in allowed: ${String(kind)}`);
  }
  if (!isCount(o.cooldown, 0))
    throw new RangeError(`remediation: cooldown must be an integer >= 0, got ${String(o.cooldown)}`);
  if (!isCount(o.budget, 0))
    throw new RangeError(`remediation: budget must be an integer >= 0, got ${String(o.budget)}`);
  if (!isCount(o.verifySteps, 1))
    throw new RangeError(`remediation: verifySteps must be an integer >= 1, got ${String(o.verifySteps)}`);
  if (!isCount(o.maxRuns, 1))
    throw new RangeError(`remediation: maxRuns must be an integer >= 1, got ${String(o.maxRuns)}`);
  if (!isCount(o.confirmPoints, 1))
    throw new RangeError(`remediation: confirmPoints must be an integer >= 1, got ${String(o.confirmPoints)}`);
  if (!isCount(o.minHistory, 0))
    throw new RangeError(`remediation: minHistory must be an integer >= 0, got ${String(o.minHistory)}`);
  if (typeof o.minConfidence !== "number" || !(o.minConfidence >= 0 && o.minConfidence <= 1)) {
    throw new RangeError(`remediation: minConfidence must be in [0, 1], got ${String(o.minConfidence)}`);
  }
  if (o.reference === null || typeof o.reference !== "object")
    throw new RangeError("remediation: reference must be an object of numbers");
  const reference: Record<string, number> = {};
  for (const [name, value] of Object.entries(o.reference)) {
    // A reference that is not a finite number is no reference: the remedy falls back.
    if (typeof value === "number" && Number.isFinite(value)) reference[name] = value;
  }
  const allowed = ACTION_KINDS.filter((kind) => o.allowed.includes(kind));
  return {
    mode: o.mode,
    allowed,
    cooldown: o.cooldown,
    budget: o.budget,
    verifySteps: o.verifySteps,
    minConfidence: o.minConfidence,
    reference,
    maxRuns: o.maxRuns,
    confirmPoints: o.confirmPoints,
    minHistory: o.minHistory,
  };
}

/** The entries of `options` that are set (an explicit `undefined` means "the default"). */
export function stripUndefined<T extends object>(options: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
