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
  for (const c of checkpoints) {
    const at = c + (c <= step ? clock.offset : before);
    // The same checkpoint reported again (a repeated event) is one checkpoint.
    if (!clock.checkpoints.some((k) => k.step === c && k.clock === at)) clock.checkpoints.push({ step: c, clock: at });
  }
  clock.checkpoints.sort((a, b) => a.clock - b.clock);
  thinCheckpoints(clock.checkpoints);
  clock.last = step + clock.offset;
  return clock.last;
}

/** Checkpoints kept per run: the recent ones densely, older ones ever more sparsely. */
export const MAX_CHECKPOINTS = 32;

/**
 * Bounds the checkpoint list (a trainer that saves every step would grow it
 * without end) while keeping what a rollback can use: the first checkpoint,
 * the newest half as they are, and every other one of the older half, so the
 * older the stretch of the run, the sparser its checkpoints.
 */
function thinCheckpoints(list: { step: number; clock: number }[]): void {
  if (list.length <= MAX_CHECKPOINTS) return;
  const recent = list.length - MAX_CHECKPOINTS / 2;
  const kept = list.filter((_, i) => i === 0 || i >= recent || i % 2 === 0);
  list.splice(0, list.length, ...kept);
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
