/**
 * How the reward disagrees with correctness, split by direction: the share of
 * trajectories rewarded although wrong (false rewards) and the share not
 * rewarded although right (missed rewards). The three reward faults differ
 * exactly there: a gamed reward adds false rewards, a broken parser adds
 * missed ones, noise adds both. corr.reward_correct alone only says that they
 * disagree.
 *
 * For a 0/1 reward and a 0/1 correctness with means pr, pc and correlation
 * rho, the share of trajectories both rewarded and correct is
 *     P(r=1, c=1) = rho * sqrt(pr(1-pr) pc(1-pc)) + pr * pc,
 * so false rewards = pr - P(1,1) and missed rewards = pc - P(1,1). This only
 * holds for a binary reward, so it is computed only when the logged batch
 * reward std matches a 0/1 variable's, sqrt(pr(1-pr)) (within 0.03 + 5%);
 * otherwise (shaped rewards, within-group reward_std, no reward_std logged)
 * it is unknown and the rules fall back on z-scores.
 */
import type { DiagnosisContext, SignalTrace } from "./context.js";
import { SIGNALS } from "./signals.js";
import { at, pick, points } from "./trace.js";

export interface Confusion {
  /** Mean share of false rewards over the episode (alarm step to judged step). */
  falseRewards: number;
  /** Mean share of missed rewards over the episode. */
  missedRewards: number;
  /** The same before the alarm (or from the healthy references when the trace starts at the alarm). */
  healthyFalse: number;
  healthyMissed: number;
  /** Steps the episode means are over. */
  from: number;
  to: number;
}

interface Inputs {
  reward: SignalTrace;
  correct: SignalTrace;
  corr: SignalTrace;
  std: SignalTrace;
}

/** False and missed reward shares for one step's means and correlation; undefined when the reward is not binary. */
export function splitDisagreement(
  pr: number,
  pc: number,
  rho: number,
  rewardStd: number,
): { falseRewards: number; missedRewards: number } | undefined {
  if (![pr, pc, rewardStd].every(Number.isFinite) || pr < 0 || pr > 1 || pc < 0 || pc > 1) return undefined;
  const sr = Math.sqrt(pr * (1 - pr));
  if (Math.abs(rewardStd - sr) > 0.03 + 0.05 * sr) return undefined;
  const sc = Math.sqrt(pc * (1 - pc));
  // A constant side has no correlation (NaN) and no covariance.
  let both = (Number.isFinite(rho) ? rho * sr * sc : 0) + pr * pc;
  both = Math.min(Math.min(pr, pc), Math.max(Math.max(0, pr + pc - 1), both));
  return { falseRewards: pr - both, missedRewards: pc - both };
}

function at4(x: Inputs, step: number) {
  const get = (t: SignalTrace) => {
    const p = at(t, step);
    return p && p.step === step ? p.value : NaN;
  };
  return splitDisagreement(get(x.reward), get(x.correct), get(x.corr), get(x.std));
}

function meanOver(x: Inputs, steps: readonly number[]) {
  let f = 0;
  let m = 0;
  let n = 0;
  for (const s of steps) {
    const d = at4(x, s);
    if (!d) continue;
    f += d.falseRewards;
    m += d.missedRewards;
    n++;
  }
  return n ? { falseRewards: f / n, missedRewards: m / n } : undefined;
}

export function confusion(ctx: DiagnosisContext): Confusion | undefined {
  const reward = pick(ctx, SIGNALS.reward);
  const correct = pick(ctx, SIGNALS.correct);
  const corr = ctx.signal("corr.reward_correct");
  const std = ctx.signal("reward_std");
  if (!reward || !correct || !corr || !std) return undefined;
  const x = { reward, correct, corr, std };
  const steps = points(reward).map((p) => p.step);
  const episode = steps.filter((s) => s >= ctx.alarmStep && s <= ctx.step);
  const now = meanOver(x, episode);
  if (!now) return undefined;
  const healthy =
    meanOver(
      x,
      steps.filter((s) => s < ctx.alarmStep),
    ) ?? splitDisagreement(reward.reference, correct.reference, corr.reference, std.reference);
  if (!healthy) return undefined;
  return {
    falseRewards: now.falseRewards,
    missedRewards: now.missedRewards,
    healthyFalse: healthy.falseRewards,
    healthyMissed: healthy.missedRewards,
    from: episode[0],
    to: episode[episode.length - 1],
  };
}

/** "12% of trajectories rewarded although wrong over steps 15..17 (healthy 0%)" */
export function confusionLine(c: Confusion, which: "false" | "missed"): string {
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  const [now, before, what] =
    which === "false"
      ? [c.falseRewards, c.healthyFalse, "rewarded although wrong"]
      : [c.missedRewards, c.healthyMissed, "not rewarded although right"];
  const steps = c.from === c.to ? `at step ${c.from}` : `over steps ${c.from}..${c.to}`;
  return `${pct(now)} of trajectories ${what} ${steps} (healthy ${pct(before)}; from reward, correctness and corr.reward_correct)`;
}
