/**
 * Symptoms several rules check, to claim them or to rule themselves out (a
 * raised learning rate explains large updates; lost workers explain missing
 * groups). One definition each, so that the rules agree on what they mean.
 */
import type { DiagnosisContext } from "./context.js";
import { type Move, moved } from "./trace.js";

/** The learning rate above its healthy value: by z, or x1.5 (strength 1 at x10) when no z is known. */
export function lrRaised(ctx: DiagnosisContext): Move | undefined {
  return moved(ctx, ctx.signal("lr"), "up", { ratio: { min: Math.log10(1.5), full: 1 } });
}

/** Fewer trajectories than healthy (1% fewer without z; strength 1 at half): a worker loss, which also removes whole groups. */
export function workersLost(ctx: DiagnosisContext): Move | undefined {
  return moved(ctx, ctx.signal("num_trajectories"), "down", {
    ratio: { min: Math.log10(1 / 0.99), full: Math.log10(2) },
  });
}

/** corr.reward_correct dropping (by z, or 0.15 without z; full at 0.5): reward and correctness disagree on trajectories. */
export function agreementDrop(ctx: DiagnosisContext): Move | undefined {
  return moved(ctx, ctx.signal("corr.reward_correct"), "down", { abs: { min: 0.15, full: 0.5 } });
}

/** Zero-variance groups up: by z, or +0.2 over healthy without z (full at +0.6). */
export function zeroVarUp(ctx: DiagnosisContext): Move | undefined {
  return moved(ctx, ctx.signal("group.zero_var_share"), "up", { abs: { min: 0.2, full: 0.6 } });
}
