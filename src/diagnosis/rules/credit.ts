/**
 * Credit-assignment rules: the rewards are right but the advantages built
 * from them are not (wrong groups, wrong normalisation), or the batch gives
 * no advantage at all (every group all-solved or all-failed). They read the
 * scanner's group features (docs/kernels.md), which only the trajectory
 * tensor gives: on step-only logs these rules mostly stay silent.
 */

import { formatNumber, sigma } from "../../verdict/words.js";
import { Case } from "../case.js";
import { ramp } from "../confidence.js";
import type { DiagnosisContext, SignalTrace } from "../context.js";
import type { Rule } from "../rule.js";
import { SIGNALS } from "../signals.js";
import { agreementDrop, workersLost, zeroVarUp } from "../symptoms.js";
import { at, deviation, fromStart, type Move, moved, moveZ, pick, span } from "../trace.js";

/** corr.advantage_reward at or below this means the advantages point against the reward. */
const FLIPPED = -0.3;

/** The most negative corr.advantage_reward of the episode, when it is a sign flip. */
function flippedAdvantage(
  ctx: DiagnosisContext,
): { trace: SignalTrace; step: number; value: number; z: number } | undefined {
  const trace = ctx.signal("corr.advantage_reward");
  if (!trace) return undefined;
  let worst: { step: number; value: number; z: number } | undefined;
  for (const p of span(ctx, trace)) if (Number.isFinite(p.value) && (!worst || p.value < worst.value)) worst = p;
  if (!worst || worst.value > FLIPPED) return undefined;
  // A healthy run whose advantages anticorrelate with reward would be odd, but trust a known z that says "normal".
  if (Number.isFinite(worst.z) && worst.z > -3) return undefined;
  return { trace, ...worst };
}

/** The detector of the invariant that sees groups mixing prompts (src/detect/invariants.ts); its score is the share. */
const MIXED_PROMPTS = "invariant:groups_mix_prompts";

/**
 * The share of groups that mix prompts, when the tensor says so: the
 * invariant's alarm at this step, else the traced feature (when a fingerprint
 * set watches it) above 0 at the judged step. Undefined when neither does.
 */
function mixedPrompts(ctx: DiagnosisContext): { share: number; trace?: SignalTrace } | undefined {
  const alarm = ctx.anomalies.find((a) => a.detector === MIXED_PROMPTS);
  const trace = ctx.signal("group.prompt_mismatch_share");
  const now = trace ? at(trace, ctx.step)?.value : undefined;
  if (alarm && alarm.score > 0) return { share: alarm.score, ...(trace ? { trace } : {}) };
  if (trace && now !== undefined && now > 0) return { share: now, trace };
  return undefined;
}

/**
 * group_misindexing: samples of one prompt do not share a group id, so the
 * logged groups have irregular sizes (group.size_min down) or a different
 * count (group.count, ignored when workers were lost), and advantages no
 * longer follow the reward (corr.advantage_reward lower, but not negative: a
 * negative one is a sign bug). Mixing prompts also lowers the spread of
 * group mean rewards and the zero-variance share. A pipeline bug, usually
 * from the start.
 * Confidence: 0.4 + 0.2 x structure strength + 0.15 + 0.1 x strength for the
 * advantage/reward drop + 0.05 group statistics + 0.1 from the start. Without
 * any group-structure signal logged: advantage/reward drop and group
 * statistics together, 0.3 + 0.2 x strength.
 * When the tensor carries prompt ids, groups holding more than one prompt
 * (the groups_mix_prompts invariant) are the fault itself, not a symptom:
 * 0.85 + 0.1 x ramp(share, 0, 0.3), the other signs added as evidence.
 */
export const groupMisindexingRule: Rule = {
  id: "group_misindexing",
  faults: ["group_misindexing"],
  description:
    "group sizes or count off, advantages inconsistent with rewards (corr.advantage_reward low), from the start",
  apply(ctx) {
    const mixed = mixedPrompts(ctx);
    if (mixed) return mixedPromptsCase(ctx, mixed);
    const lost = workersLost(ctx);
    const structure = [
      moved(ctx, ctx.signal("group.size_min"), "down", { ratio: { min: 0.05, full: 0.5 } }),
      lost ? undefined : moved(ctx, ctx.signal("group.count"), "either", { ratio: { min: 0.02, full: 0.3 } }),
    ].filter((m): m is Move => m !== undefined);
    const flipped = flippedAdvantage(ctx);
    const advDrop = flipped
      ? undefined
      : moved(ctx, ctx.signal("corr.advantage_reward"), "down", { abs: { min: 0.2, full: 0.6 } });
    const stats =
      moved(ctx, ctx.signal("group.reward_mean_std"), "down", { ratio: { min: 0.1, full: 0.5 } }) ??
      moved(ctx, ctx.signal("group.zero_var_share"), "down", { abs: { min: 0.1, full: 0.4 } });
    const c = new Case(ctx, "group_misindexing");
    if (structure.length === 0) {
      const structureLogged = ctx.signal("group.size_min") !== undefined || ctx.signal("group.count") !== undefined;
      if (structureLogged || !advDrop || !stats) return null;
      c.move(advDrop, "advantages no longer follow the reward");
      c.move(stats, "groups mix prompts");
      return c.finish(0.3 + 0.2 * advDrop.strength);
    }
    structure.sort((a, b) => b.strength - a.strength);
    for (const m of structure) c.move(m, "group structure off");
    c.move(advDrop, "advantages no longer follow the reward");
    c.move(stats, "groups mix prompts");
    const start = structure.some((m) => fromStart(ctx, m.trace, "either"));
    if (start) c.line(`${structure[0].trace.name} off from the first step seen (a pipeline bug, not an event)`);
    return c.finish(
      0.4 +
        0.2 * structure[0].strength +
        (advDrop ? 0.15 + 0.1 * advDrop.strength : 0) +
        (stats ? 0.05 : 0) +
        (start ? 0.1 : 0),
    );
  },
};

/** group_misindexing seen directly: groups that hold samples of more than one prompt. */
function mixedPromptsCase(ctx: DiagnosisContext, mixed: { share: number; trace?: SignalTrace }) {
  const c = new Case(ctx, "group_misindexing");
  c.line(
    `group.prompt_mismatch_share ${formatNumber(mixed.share)}: groups hold samples of more than one prompt_id (samples given another prompt's group id)`,
    mixed.trace,
  );
  c.move(moved(ctx, ctx.signal("group.size_min"), "down", { ratio: { min: 0.05, full: 0.5 } }), "group structure off");
  c.move(
    moved(ctx, ctx.signal("corr.advantage_reward"), "down", { abs: { min: 0.2, full: 0.6 } }),
    "advantages no longer follow the reward",
  );
  return c.finish(0.85 + 0.1 * ramp(mixed.share, 0, 0.3));
}

/**
 * advantage_misnormalization: advantages computed wrongly. Any of: group
 * means of the advantage off zero (group.adv_center_abs_mean up; +0.1
 * without z, full at +0.5), the per-group advantage scale far from healthy
 * (group.adv_scale_max, else _mean: z, or x2 / x0.5 without z, full at x10;
 * a lower scale only counts when zero-variance groups did not rise, since
 * their advantages are 0), advantage.mean off zero, advantage.std off, or
 * corr.advantage_reward <= -0.3 (advantages against the reward: a sign flip).
 * Confidence: 0.5 + 0.35 x strongest + 0.05 per further one + 0.05 from the
 * start.
 */
export const advantageMisnormalizationRule: Rule = {
  id: "advantage_misnormalization",
  faults: ["advantage_misnormalization"],
  description:
    "advantages not centred per group (adv_center_abs_mean > 0), scale far from healthy, or pointing against the reward",
  apply(ctx) {
    const skew = zeroVarUp(ctx) !== undefined;
    const scaleTrace = pick(ctx, SIGNALS.advScale);
    const stdTrace = ctx.signal("advantage.std");
    const moves = [
      moved(ctx, ctx.signal("group.adv_center_abs_mean"), "up", { abs: { min: 0.1, full: 0.5 }, nominal: 0 }),
      moved(ctx, scaleTrace, skew ? "up" : "either", { ratio: { min: 0.3, full: 1 }, nominal: 1 }),
      moved(ctx, ctx.signal("advantage.mean"), "either", { abs: { min: 0.2, full: 1 }, nominal: 0 }),
      moved(ctx, stdTrace, skew ? "up" : "either", { ratio: { min: 0.3, full: 1 } }),
    ].filter((m): m is Move => m !== undefined);
    const flipped = flippedAdvantage(ctx);
    if (moves.length === 0 && !flipped) return null;
    const c = new Case(ctx, "advantage_misnormalization");
    let strongest = 0;
    if (flipped) {
      const strength = ramp(-flipped.value, -FLIPPED, 0.9);
      strongest = strength;
      const z = Number.isFinite(flipped.z) ? `, ${sigma(flipped.z)} from healthy` : "";
      c.line(
        `corr.advantage_reward ${formatNumber(flipped.value)} at step ${flipped.step}${z} (advantages point against the reward)`,
        flipped.trace,
      );
    }
    moves.sort((a, b) => b.strength - a.strength);
    for (const m of moves) {
      c.move(m, m.trace.name.includes("center") || m.trace.name === "advantage.mean" ? "not centred" : "scale off");
    }
    strongest = Math.max(strongest, ...moves.map((m) => m.strength));
    const count = moves.length + (flipped ? 1 : 0);
    const start = moves.some((m) => fromStart(ctx, m.trace, "either"));
    return c.finish(0.5 + 0.35 * strongest + 0.05 * (count - 1) + (start ? 0.05 : 0));
  },
};

/**
 * difficulty_skew: batches all-too-easy or all-too-hard. Zero-variance
 * groups rise (group.zero_var_share) while the reward moves strongly one way
 * (all solved or all failed) and correctness moves with it, the format rate
 * staying fine. Without the zero-variance share logged, the batch reward
 * spread (reward_std) collapsing stands in, at lower confidence.
 * Confidence: 0.4 (0.3 with the stand-in) + 0.25 x zero-variance strength
 * + 0.15 x reward strength + 0.1 correctness agreeing + 0.05 grad_norm
 * falling; x0.4 when correctness does not move with the reward (a reward
 * fault), x0.5 when the format rate drops while the reward rises (easier
 * batches do not break the format; harder ones can, answers running long),
 * -0.15 when the reward/correctness agreement drops.
 */
export const difficultySkewRule: Rule = {
  id: "difficulty_skew",
  faults: ["difficulty_skew"],
  description: "zero-variance groups rise while reward (and correctness) move strongly, format fine",
  apply(ctx) {
    const reward = pick(ctx, SIGNALS.reward);
    const rMove = moved(ctx, reward, "either", { abs: { min: 0.15, full: 0.5 } });
    if (!rMove) return null;
    let zv = zeroVarUp(ctx);
    let base = 0.4;
    if (!zv) {
      if (ctx.signal("group.zero_var_share")) return null;
      zv = moved(ctx, ctx.signal("reward_std"), "down", { ratio: { min: 0.3, full: 1 } });
      if (!zv) return null;
      base = 0.3;
    }
    const c = new Case(ctx, "difficulty_skew");
    c.move(zv, "groups with identical rewards: no advantage signal");
    c.move(rMove, rMove.up ? "batches too easy: all solved" : "batches too hard: all failed");
    const rz = moveZ(rMove, 0.03);
    const correct = pick(ctx, SIGNALS.correct);
    const cz = deviation(correct, rMove.point.step, 0.03);
    const agree = !Number.isNaN(cz) && Math.sign(cz) === Math.sign(rz) && Math.abs(cz) >= 1.5;
    const disagree = !Number.isNaN(cz) && !agree;
    const cp = correct ? at(correct, rMove.point.step) : undefined;
    if (correct && cp && !Number.isNaN(cz)) {
      c.line(
        `${correct.name} ${formatNumber(cp.value)} at step ${cp.step}, ${sigma(cz)} from healthy (${agree ? "moves with the reward" : "does not move with the reward"})`,
        correct,
      );
    }
    const grad = moved(ctx, ctx.signal("grad_norm"), "down");
    c.move(grad, "less to learn from");
    const format = moved(ctx, ctx.signal("rate.format"), "down", { abs: { min: 0.15, full: 0.6 } });
    const agreement = agreementDrop(ctx);
    let conf = base + 0.25 * zv.strength + 0.15 * rMove.strength + (agree ? 0.1 : 0) + (grad ? 0.05 : 0);
    if (disagree) conf *= 0.4;
    if (format && rMove.up) conf *= 0.5;
    if (agreement) conf -= 0.15;
    return c.finish(conf);
  },
};
