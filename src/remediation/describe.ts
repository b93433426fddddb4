/**
 * Short human-readable renderings of numbers and actions for decision
 * reasons. Every decision carries a reason a person can read in a log
 * ("step 42: lr_too_high (0.81): level 0 adjust: scale_lr 0.5"), so the
 * renderings are kept short and stable (tests compare them exactly).
 */
import type { Action } from "../verdict/types.js";

/** A number for a reason: at most 3 significant digits below 100, whole above. */
export function num(x: number | null): string {
  if (x === null || Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (Math.abs(x) >= 100) return String(Math.round(x));
  return String(Number(x.toPrecision(3)));
}

/** A confidence for a reason: two decimals. */
export function conf(x: number | null): string {
  return x === null ? "non-finite data" : String(Number(x.toFixed(2)));
}

export function describeAction(action: Action): string {
  switch (action.kind) {
    case "rollback":
      return `rollback to ${num(action.to_step)}`;
    case "scale_lr":
      return `scale_lr ${num(action.factor)}`;
    case "set_hparam":
      return `set_hparam ${action.name}=${num(action.value)}`;
    case "filter_groups":
      return `filter_groups ${action.mode}`;
    case "quarantine_prompts":
      return `quarantine_prompts ${action.prompt_ids.length}`;
    default:
      return action.kind;
  }
}

export function describeActions(actions: readonly Action[]): string {
  return actions.length === 0 ? "nothing" : actions.map(describeAction).join(" + ");
}
