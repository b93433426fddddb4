/**
 * The closed loop, trainer side: a trainer calls `Monitor.observe` every step
 * and applies the verdict's actions through this small interface. The
 * benchmark's trainer (bench/faultbench/trainer.ts) is the first adapter; a
 * TRL or verl callback implements the same three lines.
 */

import type { Monitor } from "../monitor/monitor.js";
import type { StepInput } from "../verdict/input.js";
import type { Action, Verdict } from "../verdict/types.js";

/** What a trainer implements so that the monitor's actions reach it. */
export interface TrainerAdapter {
  /**
   * Applies one action (verdicts.md) at once: a rollback restores weights and
   * optimizer state, `set_hparam` changes the live setting, ... Throws when it
   * cannot; whatever it returns (event records, say) is passed back.
   */
  apply(action: Action): unknown;
}

/** What became of one action. */
export interface AppliedAction {
  action: Action;
  applied: boolean;
  /** The adapter's return value, or its error message. */
  result?: unknown;
  error?: string;
}

/**
 * Observes a step and applies the verdict's actions through the adapter, in
 * order. An action the adapter refuses (throws) is reported, not thrown: the
 * training loop goes on, and the next verdicts judge what happened.
 */
export function observeAndApply(
  monitor: Monitor,
  adapter: TrainerAdapter,
  step: StepInput,
): { verdict: Verdict; applied: AppliedAction[] } {
  const verdict = monitor.observe(step);
  const applied = verdict.actions.map((action): AppliedAction => {
    try {
      return { action, applied: true, result: adapter.apply(action) };
    } catch (err) {
      return { action, applied: false, error: err instanceof Error ? err.message : String(err) };
    }
  });
  return { verdict, applied };
}
