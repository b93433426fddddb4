/**
 * Reward-family rules: the reward stops measuring what it should. They all
 * compare the reward with the correctness judged apart from it (`correct_mean`
 * or the tensor's `correct` column) and with `corr.reward_correct`, their
 * per-trajectory agreement: a reward fault is a reward that parts from
 * correctness, and the direction in which it parts tells which fault it is.
 *
 * Two kinds of evidence, and each rule takes the stronger:
 * - z-scores: reward against correctness levels, the agreement, the spread;
 * - for a 0/1 reward, the split of the disagreement (confusion.ts): false
 *   rewards (rewarded although wrong) point to hacking, missed rewards
 *   (right but not rewarded) to a parse failure, both to noise.
 */

import { formatNumber, sigma } from "../../verdict/words.js";
import { Case } from "../case.js";
import { ramp } from "../confidence.js";
import { type Confusion, confusion, confusionLine } from "../confusion.js";
import type { DiagnosisContext } from "../context.js";
import type { Rule } from "../rule.js";
import { SIGNALS } from "../signals.js";
import { agreementDrop, zeroVarUp } from "../symptoms.js";
import { at, deviation, type Move, moved, moveZ, pick } from "../trace.js";

/** Stand-in noise scale of a share (reward or correctness in [0, 1]) when no z is known. */
const SHARE_SCALE = 0.03;

/** Correctness z below which the wording says "falling" rather than "flat". */
const FALLING = 3;

/** How much the false and missed reward shares rose over healthy. */
function rises(split: Confusion | undefined): { falseUp: number; missedUp: number } {
  return split
    ? { falseUp: split.falseRewards - split.healthyFalse, missedUp: split.missedRewards - split.healthyMissed }
    : { falseUp: NaN, missedUp: NaN };
}

/** A line stating where correctness stood, for the rules that contrast it with the reward. */
function correctnessLine(ctx: DiagnosisContext, step: number, cz: number, what: string): string | undefined {
  const correct = pick(ctx, SIGNALS.correct);
  const p = correct ? at(correct, step) : undefined;
  if (!correct || !p) return undefined;
  const z = Number.isNaN(cz) ? "" : `, ${sigma(cz)} from healthy`;
  return `${correct.name} ${formatNumber(p.value)} at step ${p.step}${z}: ${what}`;
}

/**
 * reward_hacking: the policy found a way to score without solving.
 *
 * By z: reward rises (z up) while correctness is flat or falling (z <= 1.5,
 * or the reward 6σ ahead with the agreement dropping); without a correctness
 * level, the agreement drop must be there. 0.45 (0.35 without correctness)
 * + 0.3 x ramp(reward z - max(correctness z, 0), 3, 10) + 0.12 agreement
 * drop + 0.05 length, repetition or corr.reward_length growing.
 * By the split: false rewards up by >= 3 points and at least twice the rise
 * of missed rewards: 0.45 + 0.4 x ramp(rise, 0.03, 0.2) + 0.1 agreement drop
 * + 0.05 reward up. With a 0/1 reward whose false rewards did not rise (< 1
 * point), nothing is being gamed: no finding.
 */
export const rewardHackingRule: Rule = {
  id: "reward_hacking",
  faults: ["reward_hacking"],
  description: "reward rises while correctness is flat or falls; trajectories rewarded although wrong",
  apply(ctx) {
    const split = confusion(ctx);
    const { falseUp, missedUp } = rises(split);
    if (split && falseUp < 0.01) return null;
    const reward = pick(ctx, SIGNALS.reward);
    const correct = pick(ctx, SIGNALS.correct);
    const rUp = moved(ctx, reward, "up", { abs: { min: 0.1, full: 0.4 } });
    const agree = agreementDrop(ctx);
    const shape =
      moved(ctx, pick(ctx, SIGNALS.length), "up") ??
      moved(ctx, ctx.signal("repetition.mean"), "up") ??
      moved(ctx, ctx.signal("corr.reward_length"), "up", { abs: { min: 0.2, full: 0.6 } });

    let byZ = 0;
    let cz = NaN;
    if (rUp) {
      const rz = moveZ(rUp, SHARE_SCALE);
      cz = deviation(correct, rUp.point.step, SHARE_SCALE);
      const known = !Number.isNaN(cz);
      const flat = known ? cz <= 1.5 || (agree !== undefined && rz - cz >= 6) : agree !== undefined;
      if (flat) {
        const gap = known && !Number.isNaN(rz) ? ramp(rz - Math.max(cz, 0), 3, 10) : 0.7 * rUp.strength;
        byZ = (known ? 0.45 : 0.35) + 0.3 * gap + (agree ? 0.12 : 0) + (shape ? 0.05 : 0);
      }
    }
    const bySplit =
      split && falseUp >= 0.03 && falseUp >= 2 * Math.max(missedUp, 0)
        ? 0.45 + 0.4 * ramp(falseUp, 0.03, 0.2) + (agree ? 0.1 : 0) + (rUp ? 0.05 : 0)
        : 0;
    if (byZ === 0 && bySplit === 0) return null;

    const c = new Case(ctx, "reward_hacking");
    if (bySplit > 0 && split) c.line(confusionLine(split, "false"), ctx.signal("corr.reward_correct"));
    if (rUp) {
      c.move(rUp, "reward rising");
      const line = Number.isNaN(cz)
        ? undefined
        : correctnessLine(
            ctx,
            rUp.point.step,
            cz,
            cz < -FALLING ? "falling while the reward rises" : "not rising with the reward",
          );
      if (line) c.line(line, correct);
    }
    c.move(agree, "reward and correctness disagree");
    c.move(shape, "exploit shape growing");
    return c.finish(Math.max(byZ, bySplit));
  },
};

/**
 * reward_parse_failure: the reward function stops reading answers, so right
 * answers go unrewarded; the reward falls (to a constant, at worst) while
 * correctness does not.
 *
 * By z: reward z at least 3 below correctness z (neither rising together nor
 * falling together), with one of: reward down, reward spread collapsing
 * (group.reward_std_mean / reward_std), zero-variance groups jumping, format
 * rate dropping. 0.4 + 0.25 x ramp(correctness z - reward z, 3, 12) + 0.1
 * spread collapse + 0.1 zero-variance jump + 0.08 format drop + 0.05
 * agreement drop; -0.2 when the within-group spread grew instead
 * (reward_noise's pattern). Without correctness: the collapse itself (spread
 * down and zero-variance up, or format down and reward down), 0.3 + 0.25 x
 * strongest + 0.08 per further indicator.
 * By the split: missed rewards up by >= 5 points with false rewards not
 * rising (<= 1 point): 0.5 + 0.4 x ramp(rise, 0.05, 0.4). False rewards
 * rising by >= 2 points (a parser that fails gives no reward to wrong
 * answers) take 0.3 off the z evidence.
 */
export const rewardParseFailureRule: Rule = {
  id: "reward_parse_failure",
  faults: ["reward_parse_failure"],
  description: "reward falls or collapses to a constant while correctness holds; right answers go unrewarded",
  apply(ctx) {
    const reward = pick(ctx, SIGNALS.reward);
    const correct = pick(ctx, SIGNALS.correct);
    const split = confusion(ctx);
    const { falseUp, missedUp } = rises(split);
    const rDown = moved(ctx, reward, "down", { abs: { min: 0.1, full: 0.5 } });
    const spread =
      moved(ctx, ctx.signal("group.reward_std_mean"), "down", { ratio: { min: 0.3, full: 1 } }) ??
      moved(ctx, ctx.signal("reward_std"), "down", { ratio: { min: 0.3, full: 1 } });
    const zeroVar = zeroVarUp(ctx);
    const format = moved(ctx, ctx.signal("rate.format"), "down", { abs: { min: 0.15, full: 0.6 } });
    const agree = agreementDrop(ctx);
    const step = rDown?.point.step ?? ctx.step;
    const rz = rDown ? moveZ(rDown, SHARE_SCALE) : deviation(reward, step, SHARE_SCALE);
    const cz = deviation(correct, step, SHARE_SCALE);
    const noisePattern =
      moved(ctx, pick(ctx, SIGNALS.rewardSpread), "up", { ratio: { min: 0.1, full: 0.4 } }) ??
      moved(ctx, ctx.signal("group.zero_var_share"), "down", { abs: { min: 0.1, full: 0.4 } });
    const falseRewards = falseUp >= 0.02;

    const c = new Case(ctx, "reward_parse_failure");
    const bySplit = split && missedUp >= 0.05 && falseUp <= 0.01 ? 0.5 + 0.4 * ramp(missedUp, 0.05, 0.4) : 0;
    if (bySplit > 0 && split) c.line(confusionLine(split, "missed"), ctx.signal("corr.reward_correct"));

    let byZ = 0;
    if (!Number.isNaN(cz) && !Number.isNaN(rz)) {
      const together = (rz > 3 && cz > 1.5) || cz - rz < 3;
      if (!together && (rDown || spread || zeroVar || format)) {
        if (rDown) c.move(rDown, "reward falling");
        else if (reward) c.line(`${reward.name} at step ${step}, ${sigma(rz)} from healthy`, reward);
        const line = correctnessLine(ctx, step, cz, "correctness holds while the reward falls");
        if (line) c.line(line, correct);
        byZ =
          0.4 +
          0.25 * ramp(cz - rz, 3, 12) +
          (spread ? 0.1 : 0) +
          (zeroVar ? 0.1 : 0) +
          (format ? 0.08 : 0) +
          (agree ? 0.05 : 0) -
          (noisePattern ? 0.2 : 0) -
          (falseRewards ? 0.3 : 0);
      }
    } else if ((spread && zeroVar) || (format && rDown)) {
      const found = [rDown, spread, zeroVar, format].filter((m): m is Move => m !== undefined);
      for (const m of found) c.move(m);
      byZ =
        0.3 + 0.25 * Math.max(...found.map((m) => m.strength)) + 0.08 * (found.length - 2) - (falseRewards ? 0.3 : 0);
    }
    if (byZ <= 0 && bySplit === 0) return null;
    c.move(spread, "reward spread collapsing");
    c.move(zeroVar, "zero-variance groups jump");
    c.move(format, "format rate dropping");
    c.move(agree, "reward and correctness disagree");
    return c.finish(Math.max(byZ, bySplit));
  },
};

/**
 * reward_noise: rewards partly wrong (random flips, wrong reference answers),
 * in both directions.
 *
 * By z: corr.reward_correct falls while the reward spread stays or grows
 * (flips make mixed groups: group.reward_std_mean up, group.zero_var_share
 * down), unlike a parse failure, where it collapses: 0.4 + 0.35 x
 * agreement-drop strength + 0.12 spread grew; -0.25 when the reward rises
 * while correctness does not (reward_hacking's pattern). Without
 * corr.reward_correct: reward z 3 below correctness z with the spread
 * growing, 0.3 + 0.2 x spread strength.
 * By the split: false rewards up >= 1.5 points and missed rewards up >= 2
 * points: 0.45 + 0.35 x ramp(sum of rises, 0.04, 0.3) + 0.1 agreement drop.
 * One-sided disagreement takes 0.3 off the z evidence: no false rewards
 * (< 0.5 point) is a parser's, no missed ones with false ones rising is a hack.
 */
export const rewardNoiseRule: Rule = {
  id: "reward_noise",
  faults: ["reward_noise"],
  description: "reward/correctness agreement falls in both directions while the reward spread stays or grows",
  apply(ctx) {
    const split = confusion(ctx);
    const { falseUp, missedUp } = rises(split);
    const oneSided = split !== undefined && (falseUp < 0.005 || (missedUp < 0.005 && falseUp >= 0.03));
    const spreadTrace = pick(ctx, SIGNALS.rewardSpread);
    const collapse = moved(ctx, spreadTrace, "down", { ratio: { min: 0.3, full: 1 } }) ?? zeroVarUp(ctx);
    const spreadUp =
      moved(ctx, spreadTrace, "up", { ratio: { min: 0.1, full: 0.4 } }) ??
      moved(ctx, ctx.signal("group.zero_var_share"), "down", { abs: { min: 0.1, full: 0.4 } });
    const agree = agreementDrop(ctx);
    const reward = pick(ctx, SIGNALS.reward);
    const correct = pick(ctx, SIGNALS.correct);
    const step = agree?.point.step ?? ctx.step;
    const rz = deviation(reward, step, SHARE_SCALE);
    const cz = deviation(correct, step, SHARE_SCALE);

    const c = new Case(ctx, "reward_noise");
    const bySplit =
      split && falseUp >= 0.015 && missedUp >= 0.02
        ? 0.45 + 0.35 * ramp(falseUp + missedUp, 0.04, 0.3) + (agree ? 0.1 : 0)
        : 0;
    if (bySplit > 0 && split) {
      c.line(confusionLine(split, "false"), ctx.signal("corr.reward_correct"));
      c.line(confusionLine(split, "missed"));
    }
    let byZ = 0;
    if (!collapse) {
      if (agree) {
        const hacking = rz > 3 && !(cz > 1.5);
        byZ = 0.4 + 0.35 * agree.strength + (spreadUp ? 0.12 : 0) - (hacking ? 0.25 : 0) - (oneSided ? 0.3 : 0);
      } else if (!ctx.signal("corr.reward_correct") && spreadUp && cz - rz >= 3) {
        byZ = 0.3 + 0.2 * spreadUp.strength - (oneSided ? 0.3 : 0);
        if (reward)
          c.line(`${reward.name} at step ${step}, ${sigma(rz)} from healthy, below correctness (${sigma(cz)})`, reward);
      }
    }
    if (byZ <= 0 && bySplit === 0) return null;
    c.move(agree, "reward and correctness disagree");
    c.move(spreadUp, "reward spread stays high");
    return c.finish(Math.max(byZ, bySplit));
  },
};
