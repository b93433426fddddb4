/**
 * Policy-generation rules: the rollouts are sampled wrongly (temperature,
 * response cap, or an out-of-sync rollout engine). They read the sampled
 * responses: entropy, length and truncation, and the rollout-vs-trainer
 * log-probability statistics.
 */
import { Case } from "../case.js";
import type { Rule } from "../rule.js";
import { SIGNALS } from "../signals.js";
import { lrRaised, zeroVarUp } from "../symptoms.js";
import { fromStart, healthyBefore, type Move, moved, pick, span } from "../trace.js";

/**
 * temperature_misconfigured: sampling temperature far from nominal, so the
 * entropy signals (entropy, entropy_mean.mean, entropy_mean.p10) sit far from
 * healthy, together with a change in length, repetition, truncation (too hot)
 * or zero-variance groups (too cold). A configuration fault: the entropy must
 * have been off from the first step seen, or be corroborated.
 * Confidence: 0.3 + 0.35 x entropy strength + 0.15 corroborated + 0.15 off
 * from the start + 0.03 per further entropy signal agreeing; -0.25 when the
 * entropy was healthy before the alarm (a configuration does not start
 * mid-run: observation_corruption shifts entropy too); -0.15 when KL to
 * the reference climbs as entropy falls (kl_penalty_off's pattern), -0.15 when
 * lr is raised or grad_norm blew up (lr_too_high swings entropy).
 */
export const temperatureMisconfiguredRule: Rule = {
  id: "temperature_misconfigured",
  faults: ["temperature_misconfigured"],
  description: "entropy far from healthy from the start, with length/repetition/truncation changing with it",
  apply(ctx) {
    const moves = ["entropy", "entropy_mean.mean", "entropy_mean.p10"]
      .map((name) => moved(ctx, ctx.signal(name), "either"))
      .filter((m): m is Move => m !== undefined)
      .sort((a, b) => b.strength - a.strength);
    const main = moves[0];
    if (!main) return null;
    const hot = main.up;
    const dir = hot ? "up" : "down";
    const agreeing = moves.slice(1).filter((m) => m.up === hot);
    const start = fromStart(ctx, main.trace, dir);
    const support = [
      moved(ctx, pick(ctx, SIGNALS.length), "either"),
      moved(ctx, ctx.signal("repetition.mean"), "either"),
      hot ? moved(ctx, pick(ctx, SIGNALS.truncation), "up", { abs: { min: 0.1, full: 0.5 } }) : undefined,
      hot ? undefined : zeroVarUp(ctx),
    ].filter((m): m is Move => m !== undefined);
    if (!start && support.length === 0) return null;
    const c = new Case(ctx, "temperature_misconfigured");
    c.move(main, hot ? "sampling too hot" : "sampling too cold");
    for (const m of agreeing) c.move(m);
    if (start) c.line(`${main.trace.name} off from the first step seen (a configuration, not an event)`);
    for (const m of support) c.move(m);
    const klClimb = !hot && moved(ctx, pick(ctx, SIGNALS.klRef), "up") !== undefined;
    const g = moved(ctx, ctx.signal("grad_norm"), "up");
    const optimiser = lrRaised(ctx) !== undefined || (g !== undefined && g.z >= 6);
    const midRun = healthyBefore(ctx, main.trace);
    const conf =
      0.3 +
      0.35 * main.strength +
      (support.length ? 0.15 : 0) +
      (start ? 0.15 : 0) +
      0.03 * agreeing.length -
      (midRun ? 0.25 : 0) -
      (klClimb ? 0.15 : 0) -
      (optimiser ? 0.15 : 0);
    return c.finish(conf);
  },
};

/**
 * length_truncation: the response cap is too small, so the truncation rate
 * (truncation_rate / rate.truncation) rises (z > 3, or +0.1 over healthy
 * without z; strength full at +0.6) and length.p90 is pinned at the cap (the
 * same value every step of the episode). Confidence: 0.45 + 0.35 x strength
 * + 0.1 pinned + 0.05 mean length down + 0.05 off from the start; -0.2 when
 * entropy is far up (a hot temperature truncates too); -0.2 when truncation
 * was healthy before the alarm (the cap is a configuration: a mid-run rise
 * is responses growing, from tool failures or a hack, more than a cap).
 */
export const lengthTruncationRule: Rule = {
  id: "length_truncation",
  faults: ["length_truncation"],
  description: "truncation rate up with length.p90 pinned at a cap",
  apply(ctx) {
    const tr = pick(ctx, SIGNALS.truncation);
    const trUp = moved(ctx, tr, "up", { abs: { min: 0.1, full: 0.6 } });
    if (!trUp) return null;
    const c = new Case(ctx, "length_truncation");
    c.move(trUp, "responses cut at the cap");
    const p90 = ctx.signal("length.p90");
    const values = p90
      ? span(ctx, p90)
          .map((p) => p.value)
          .filter(Number.isFinite)
      : [];
    const pinned =
      values.length >= 2 &&
      Math.max(...values) - Math.min(...values) <= 0.01 * Math.max(1, Math.abs(Math.max(...values)));
    if (pinned && p90) c.line(`length.p90 pinned at ${values[0]} over steps ${ctx.alarmStep}..${ctx.step}`, p90);
    const shorter = moved(ctx, pick(ctx, SIGNALS.length), "down");
    c.move(shorter, "responses shorter");
    const start = fromStart(ctx, trUp.trace, "up");
    if (start) c.line(`${trUp.trace.name} high from the first step seen (a configuration, not an event)`);
    const ent = moved(ctx, pick(ctx, SIGNALS.entropy), "up");
    const hot = ent !== undefined && (Number.isNaN(ent.z) ? ent.strength > 0.3 : ent.z >= 5);
    const midRun = healthyBefore(ctx, trUp.trace);
    return c.finish(
      0.45 +
        0.35 * trUp.strength +
        (pinned ? 0.1 : 0) +
        (shorter ? 0.05 : 0) +
        (start ? 0.05 : 0) -
        (hot ? 0.2 : 0) -
        (midRun ? 0.2 : 0),
    );
  },
};

/**
 * rollout_policy_mismatch: the rollout engine samples with other weights than
 * the trainer's (stale sync, numerics), so the rollout-vs-trainer statistics
 * move: logprob_gap.mean / .max grow, ratio_max.max grows, ratio_mean.mean
 * drifts from 1; clip_frac and ppo_kl rise with them. These statistics are
 * specific to the fault (a large learning rate changes the policy between
 * updates, not between the rollout and the trainer), so any of them moving
 * far is strong evidence; one barely out of band is not (other faults nudge
 * them): 0.3 + 0.55 x strongest + 0.05 per further one + 0.05 per
 * corroborating clip_frac/ppo_kl. Without them logged (step-only logs):
 * clip_frac and ppo_kl both up while kl_ref, grad_norm and lr stay healthy,
 * 0.25 + 0.1 x their mean strength.
 */
export const rolloutPolicyMismatchRule: Rule = {
  id: "rollout_policy_mismatch",
  faults: ["rollout_policy_mismatch"],
  description: "rollout-vs-trainer log-prob gap grows, importance ratios drift from 1, clip_frac and ppo_kl rise",
  apply(ctx) {
    const names = ["logprob_gap.mean", "logprob_gap.max", "ratio_max.max", "ratio_mean.mean"];
    const logged = names.some((n) => ctx.signal(n) !== undefined);
    const primary = [
      moved(ctx, ctx.signal("logprob_gap.mean"), "up", { ratio: { min: 0.3, full: 1 } }),
      moved(ctx, ctx.signal("logprob_gap.max"), "up", { ratio: { min: 0.3, full: 1 } }),
      moved(ctx, ctx.signal("ratio_max.max"), "up", { ratio: { min: 0.05, full: 0.5 } }),
      moved(ctx, ctx.signal("ratio_mean.mean"), "either", { abs: { min: 0.05, full: 0.3 }, nominal: 1 }),
    ].filter((m): m is Move => m !== undefined);
    const secondary = [moved(ctx, ctx.signal("clip_frac"), "up"), moved(ctx, ctx.signal("ppo_kl"), "up")].filter(
      (m): m is Move => m !== undefined,
    );
    const c = new Case(ctx, "rollout_policy_mismatch");
    if (primary.length > 0) {
      primary.sort((a, b) => b.strength - a.strength);
      for (const m of primary) {
        c.move(m, m.trace.name.startsWith("ratio") ? "importance ratios off 1" : "rollout and trainer disagree");
      }
      for (const m of secondary) c.move(m);
      return c.finish(0.3 + 0.55 * primary[0].strength + 0.05 * (primary.length - 1) + 0.05 * secondary.length);
    }
    if (logged || secondary.length < 2) return null;
    if (moved(ctx, pick(ctx, SIGNALS.klRef), "up") || moved(ctx, ctx.signal("grad_norm"), "up") || lrRaised(ctx))
      return null;
    for (const m of secondary) c.move(m);
    c.line("no rollout log-probability statistics logged: judged from clip_frac and ppo_kl alone");
    return c.finish(0.25 + 0.1 * ((secondary[0].strength + secondary[1].strength) / 2));
  },
};
