/**
 * The escalation ladder: what one action round holds at each level.
 *
 *   level 0 "adjust":   the fault's remedy (remedies.ts)
 *   level 1 "rollback": rollback to the last checkpoint before the onset, plus the remedy
 *   level 2 "halt":     stop the run; the reason names the fault and what was tried
 *
 * Faults that need a human skip the ladder: rollback to before the onset and
 * halt at once. A level whose defining action is not allowed is skipped (the
 * remedy for level 0, the rollback for level 1, the halt for level 2); when no
 * level is left the round is a final alert. This module only builds rounds;
 * when to run one is the policy's business (policy.ts).
 */

import type { FaultId } from "../verdict/faults.js";
import type { Action, ActionKind } from "../verdict/types.js";
import { describeActions } from "../verdict/words.js";
import { conf } from "./describe.js";
import { rollbackTarget } from "./input.js";
import { REMEDIES, resolveRemedy } from "./remedies.js";

export type Level = 0 | 1 | 2;
export const LEVEL_NAMES: Readonly<Record<Level, string>> = { 0: "adjust", 1: "rollback", 2: "halt" };

export interface RoundContext {
  fault: FaultId;
  /** null when the fault was inferred from non-finite data rather than diagnosed. */
  confidence: number | null;
  onset: number | null;
  /** First alarm step of the episode: the rollback bound when the onset is unknown. */
  alarmStep: number;
  checkpoints: readonly number[];
  reference: Readonly<Record<string, number>>;
  allowed: ReadonlySet<ActionKind>;
  /** Earlier rounds of this ladder, e.g. "scale_lr 0.5 at step 42". */
  tried: readonly string[];
}

export interface PlannedRound {
  /** The level taken; "human" for a fault that needs a human; "exhausted" when no allowed level was left. */
  level: Level | "human" | "exhausted";
  /** E.g. "level 1 rollback", for the reason. */
  label: string;
  actions: Action[];
  /** Actions left out because their kind is not allowed. */
  dropped: Action[];
  /** Remarks for the reason, e.g. a missing reference. */
  notes: string[];
  /** The run is over for the policy after this round (a halt, or the last word). */
  final: boolean;
}

/** Builds the round at the first allowed level at or above `from`. */
export function planRound(ctx: RoundContext, from: Level): PlannedRound {
  const { fault, allowed } = ctx;
  const dropped: Action[] = [];
  const notes: string[] = [];
  const rollback = (): Action => ({
    kind: "rollback",
    to_step: rollbackTarget(ctx.checkpoints, ctx.onset, ctx.alarmStep),
  });
  const named = `${fault} (${conf(ctx.confidence)})`;

  if (REMEDIES[fault].human) {
    const actions: Action[] = [];
    const back = rollback();
    if (allowed.has("rollback")) actions.push(back);
    else dropped.push(back);
    const why = `${named} needs a human: ${REMEDIES[fault].why}`;
    const halt: Action = { kind: "halt", reason: why };
    if (allowed.has("halt")) actions.push(halt);
    else {
      dropped.push(halt);
      if (allowed.has("alert")) actions.push({ kind: "alert", message: why });
    }
    return { level: "human", label: "needs a human", actions, dropped, notes, final: true };
  }

  const remedy = resolveRemedy(fault, ctx.reference, allowed);
  if (remedy.missing.length > 0) notes.push(`no reference for ${[...new Set(remedy.missing)].join(", ")}`);

  for (let level = from; level <= 2; level++) {
    if (level === 0) {
      dropped.push(...remedy.dropped);
      if (remedy.actions.length > 0)
        return { level: 0, label: "level 0 adjust", actions: remedy.actions, dropped, notes, final: false };
    } else if (level === 1) {
      const back = rollback();
      if (allowed.has("rollback")) {
        if (from === 1) dropped.push(...remedy.dropped);
        return {
          level: 1,
          label: "level 1 rollback",
          actions: [back, ...remedy.actions],
          dropped,
          notes,
          final: false,
        };
      }
      dropped.push(back);
    } else {
      const halt: Action = { kind: "halt", reason: haltReason(named, ctx.tried) };
      if (allowed.has("halt")) return { level: 2, label: "level 2 halt", actions: [halt], dropped, notes, final: true };
      dropped.push(halt);
    }
  }
  const actions: Action[] = allowed.has("alert")
    ? [
        {
          kind: "alert",
          message: `${named}: ${whatTried(ctx.tried)}; no allowed action can stop the run: a human must act`,
        },
      ]
    : [];
  return { level: "exhausted", label: "no allowed level left", actions, dropped, notes, final: true };
}

function whatTried(tried: readonly string[]): string {
  return tried.length > 0 ? `not recovered after ${tried.join("; ")}` : "no allowed remedy";
}

function haltReason(named: string, tried: readonly string[]): string {
  return `${named}: ${whatTried(tried)}: a human must act`;
}

/** "scale_lr 0.5 at step 42", the record of a round kept for later halt reasons. */
export function triedEntry(actions: readonly Action[], step: number): string {
  return `${describeActions(actions)} at step ${step}`;
}
