/**
 * Optimization-dynamics rules: the update itself goes wrong (too large, left
 * unregularised, blown up, or not a number). They read the trainer's scalars:
 * lr, grad_norm, ppo_kl (how far one update moved the policy), clip_frac,
 * kl_ref (how far the policy is from the reference), loss.
 */

import { formatNumber, sigma } from "../../verdict/words.js";
import { Case } from "../case.js";
import { ramp } from "../confidence.js";
import type { DiagnosisContext } from "../context.js";
import { timesHealthy } from "../format.js";
import type { Rule } from "../rule.js";
import { NONFINITE_WATCH, SIGNALS, TRAINING_METRICS } from "../signals.js";
import { lrRaised } from "../symptoms.js";
import {
  fromStart,
  healthyBefore,
  type Move,
  moved,
  nonfiniteData,
  now,
  type Point,
  peak,
  pick,
  span,
} from "../trace.js";

/** Whether any watched signal holds non-finite data during the episode. */
function anyNonfinite(ctx: DiagnosisContext): boolean {
  for (const name of [...NONFINITE_WATCH, "nonfinite"]) {
    const trace = ctx.signal(name);
    if (!trace) continue;
    for (const p of span(ctx, trace)) if (name === "nonfinite" ? p.value > 0 : nonfiniteData(trace, p)) return true;
  }
  return false;
}

/**
 * nan_inf: NaN or Inf reached training. Any non-finite value of the loss,
 * gradient norm, KL or log-probability signals, or non-finite cells in the
 * trajectory tensor (`nonfinite` > 0), during the episode. Non-finite values
 * are unambiguous, so confidence is high: 0.8, +0.12 when a training scalar
 * (loss, pg_loss, grad_norm, kl_ref, ppo_kl) is itself non-finite, +0.05 when
 * two or more signals show it. Onset: the first non-finite step.
 */
export const nanInfRule: Rule = {
  id: "nan_inf",
  faults: ["nan_inf"],
  description:
    "non-finite values in the loss, gradients, KL or log-probabilities, or non-finite cells in the trajectory tensor",
  apply(ctx) {
    const c = new Case(ctx, "nan_inf");
    let first = Infinity;
    let signals = 0;
    let training = false;
    for (const name of NONFINITE_WATCH) {
      const trace = ctx.signal(name);
      const p = trace ? span(ctx, trace).find((q) => nonfiniteData(trace, q)) : undefined;
      if (!trace || !p) continue;
      c.line(`${name} is ${formatNumber(p.value)} at step ${p.step}`, trace);
      signals++;
      training ||= TRAINING_METRICS.has(name);
      first = Math.min(first, p.step);
    }
    const cells = ctx.signal("nonfinite");
    const hit = cells ? span(ctx, cells).find((p) => p.value > 0) : undefined;
    if (cells && hit) {
      c.line(
        `nonfinite ${formatNumber(hit.value)} at step ${hit.step}: non-finite cells in the trajectory tensor`,
        cells,
      );
      signals++;
      first = Math.min(first, hit.step);
    }
    if (signals === 0) return null;
    return c.finish(0.8 + (training ? 0.12 : 0) + (signals >= 2 ? 0.05 : 0), first);
  },
};

/**
 * gradient_explosion: grad_norm spikes by orders of magnitude while every
 * value stays finite (a NaN is nan_inf's). Needs z >= 6 on grad_norm, or x10
 * its healthy value when no z is known. Confidence: 0.45 + 0.45 x strength
 * (strength = max(ramp(log10 of the ratio to healthy, 1, 3), ramp(z, 6, 30)):
 * full at x1000 or 30σ) + 0.05 when grad_norm was healthy before the alarm
 * (a sudden event) + 0.03 when KL to the reference jumps after it; -0.25 when
 * the learning rate is raised (lr_too_high explains the gradients), -0.25
 * when the advantage scale exploded (z >= 6 on group.adv_scale_max/_mean or
 * advantage.std: advantage_misnormalization explains them).
 */
export const gradientExplosionRule: Rule = {
  id: "gradient_explosion",
  faults: ["gradient_explosion"],
  description: "grad_norm spikes by orders of magnitude (z >= 6 or x10 healthy) without non-finite values",
  apply(ctx) {
    const g = ctx.signal("grad_norm");
    if (!g || anyNonfinite(ctx)) return null;
    const ratioOf = (p: Point) => (Number.isFinite(g.reference) && g.reference > 0 ? p.value / g.reference : NaN);
    let p = peak(ctx, g, "up");
    if (p) {
      if (!(p.z >= 6)) return null;
    } else {
      // No z: the largest value against the healthy one.
      for (const q of span(ctx, g)) if (Number.isFinite(q.value) && (!p || q.value > p.value)) p = q;
      if (!p || !(ratioOf(p) >= 10)) return null;
    }
    const ratio = ratioOf(p);
    const strength = Math.max(ramp(Math.log10(ratio), 1, 3), ramp(p.z, 6, 30));
    const c = new Case(ctx, "gradient_explosion");
    c.line(
      `grad_norm ${formatNumber(p.value)} at step ${p.step}${Number.isFinite(p.z) ? `, ${sigma(p.z)} from healthy` : ""}${
        timesHealthy(p.value, g.reference) ? ` (${timesHealthy(p.value, g.reference)})` : ""
      }`,
      g,
    );
    const sudden = healthyBefore(ctx, g);
    if (sudden) c.line(`grad_norm was in its healthy band before step ${ctx.alarmStep}`);
    const kl = moved(ctx, pick(ctx, SIGNALS.klRef), "up");
    c.move(kl, "KL jumps after the spike");
    const lr = lrRaised(ctx);
    if (lr) c.move(lr, "learning rate raised: lr_too_high is the likelier cause");
    const adv = [...SIGNALS.advScale, "advantage.std"]
      .map((n) => moved(ctx, ctx.signal(n), "up"))
      .find((m) => m !== undefined && m.z >= 6);
    if (adv) c.move(adv, "advantages exploded: advantage_misnormalization is the likelier cause");
    return c.finish(
      0.45 + 0.45 * strength + (sudden ? 0.05 : 0) + (kl ? 0.03 : 0) - (lr ? 0.25 : 0) - (adv ? 0.25 : 0),
      p.step,
    );
  },
};

/**
 * lr_too_high: the learning rate far above healthy. Directly: lr above its
 * healthy reference (z > 3, or x1.5 without z): 0.6 + 0.3 x strength (full
 * at x10) + 0.025 per co-moving signal. Indirectly (lr not logged or not
 * raised against the reference): at least two of grad_norm, ppo_kl,
 * clip_frac, kl_ref up together: 0.25 + 0.1 per signal beyond two + 0.2 x
 * their mean strength + 0.1 when they were off from the start (a
 * configuration); x0.6 when lr is logged and healthy.
 */
export const lrTooHighRule: Rule = {
  id: "lr_too_high",
  faults: ["lr_too_high"],
  description: "lr above its healthy value, or grad_norm, ppo_kl, clip_frac and kl_ref up together from the start",
  apply(ctx) {
    const lr = lrRaised(ctx);
    const co = [ctx.signal("grad_norm"), ctx.signal("ppo_kl"), ctx.signal("clip_frac"), pick(ctx, SIGNALS.klRef)]
      .map((t) => moved(ctx, t, "up"))
      .filter((m): m is Move => m !== undefined);
    const c = new Case(ctx, "lr_too_high");
    if (lr) {
      const times = timesHealthy(lr.point.value, lr.trace.reference);
      c.move(lr, times || "learning rate raised");
      for (const m of co) c.move(m);
      return c.finish(0.6 + 0.3 * lr.strength + 0.025 * co.length);
    }
    if (co.length < 2) return null;
    for (const m of co) c.move(m);
    const strength = co.reduce((s, m) => s + m.strength, 0) / co.length;
    const start = co.filter((m) => fromStart(ctx, m.trace, "up")).length * 2 > co.length;
    if (start)
      c.line(`${co.map((m) => m.trace.name).join(", ")} off from the first step seen (a configuration, not an event)`);
    const lrTrace = ctx.signal("lr");
    const lrNow = lrTrace ? now(ctx, lrTrace) : undefined;
    const lrHealthy = lrNow !== undefined && Number.isFinite(lrNow.z) && Math.abs(lrNow.z) <= 3;
    if (lrHealthy) c.line(`lr ${formatNumber(lrNow.value)} at step ${lrNow.step} is at its healthy value`);
    const conf = 0.25 + 0.1 * (co.length - 2) + 0.2 * strength + (start ? 0.1 : 0);
    return c.finish(lrHealthy ? conf * 0.6 : conf);
  },
};

/**
 * kl_penalty_off: nothing holds the policy near the reference, so kl_ref
 * climbs far above healthy (z > 3, or x2 without z; strength full at x10)
 * while entropy falls, with the learning rate normal (a raised lr is
 * lr_too_high's and rejects the rule). Confidence: 0.35 + 0.35 x KL strength
 * + 0.15 entropy falling + 0.1 when per-update change (ppo_kl, clip_frac) is
 * logged and healthy (the drift is unchecked, not fast) + 0.05 KL still rising
 * at the judged step; -0.15 when entropy rose instead, -0.15 when grad_norm
 * blew up (gradient_explosion's KL jump).
 */
export const klPenaltyOffRule: Rule = {
  id: "kl_penalty_off",
  faults: ["kl_penalty_off"],
  description: "kl_ref rising far above healthy with entropy falling while lr is normal",
  apply(ctx) {
    if (lrRaised(ctx)) return null;
    const kl = pick(ctx, SIGNALS.klRef);
    const klUp = moved(ctx, kl, "up", { ratio: { min: 0.3, full: 1 } });
    if (!klUp || !kl) return null;
    const c = new Case(ctx, "kl_penalty_off");
    c.move(klUp, "KL to the reference climbing");
    const ent = pick(ctx, SIGNALS.entropy);
    const entDown = moved(ctx, ent, "down");
    const entUp = entDown ? undefined : moved(ctx, ent, "up");
    c.move(entDown, "entropy falling");
    const step = [ctx.signal("ppo_kl"), ctx.signal("clip_frac")].filter((t) => t !== undefined);
    const stepCalm = step.length > 0 && step.every((t) => !moved(ctx, t, "up"));
    if (stepCalm)
      c.line(`${step.map((t) => t!.name).join(" and ")} healthy: each update is small, the drift is unchecked`);
    const pts = span(ctx, kl).filter((p) => Number.isFinite(p.value));
    const rising = pts.length >= 2 && pts[pts.length - 1].value > pts[0].value;
    const g = moved(ctx, ctx.signal("grad_norm"), "up");
    const gradBlowup = g !== undefined && g.z >= 6;
    const conf =
      0.35 +
      0.35 * klUp.strength +
      (entDown ? 0.15 : 0) +
      (stepCalm ? 0.1 : 0) +
      (rising ? 0.05 : 0) -
      (entUp ? 0.15 : 0) -
      (gradBlowup ? 0.15 : 0);
    return c.finish(conf);
  },
};
