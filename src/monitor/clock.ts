/**
 * A run's step numbers as the remediation policy counts them.
 *
 * The policy's cooldowns, verification windows and replay guard count steps,
 * so they need numbers that only go up. A trainer that rolls back may number
 * its steps from the restored checkpoint again (a resumed `global_step`); the
 * policy then gets clock = step + offset, the offset growing at each rewind.
 * Checkpoints are kept on both scales, so a rollback the policy asks for (in
 * clock units) names the trainer's own step.
 */
import type { Action } from "../verdict/types.js";

export interface RunClock {
  /** Added to the trainer's step numbers. */
  offset: number;
  /** Clock value of the last step (-1 before the first). */
  last: number;
  /** Checkpoints the trainer reported: its step and the clock value then. */
  checkpoints: { step: number; clock: number }[];
}

export function newClock(): RunClock {
  return { offset: 0, last: -1, checkpoints: [] };
}

/**
 * The clock value of a step: `step + offset`, after raising the offset when
 * the step does not come after the last one (the trainer went back). The
 * checkpoints reported with the step are recorded at that offset when they are
 * not later than it (saved after the rewind), at the previous offset otherwise.
 */
export function tick(clock: RunClock, step: number, checkpoints: readonly number[]): number {
  const before = clock.offset;
  if (step + clock.offset <= clock.last) clock.offset = clock.last + 1 - step;
  for (const c of checkpoints) clock.checkpoints.push({ step: c, clock: c + (c <= step ? clock.offset : before) });
  clock.checkpoints.sort((a, b) => a.clock - b.clock);
  clock.last = step + clock.offset;
  return clock.last;
}

/** The current offset applied to a trainer step (an onset, say). */
export const toClock = (clock: RunClock, step: number): number => step + clock.offset;

/** Checkpoint steps in clock units, ascending, for the policy. */
export const clockCheckpoints = (clock: RunClock): number[] => clock.checkpoints.map((c) => c.clock);

/** An action the policy chose, with a rollback's target turned back into the trainer's step. */
export function toTrainer(clock: RunClock, action: Action): Action {
  if (action.kind !== "rollback") return action;
  const target = [...clock.checkpoints].reverse().find((c) => c.clock <= action.to_step);
  return { ...action, to_step: target ? target.step : Math.max(0, action.to_step - clock.offset) };
}
