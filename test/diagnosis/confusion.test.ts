import { describe, expect, it } from "vitest";
import { confusion, splitDisagreement } from "../../src/diagnosis/confusion.js";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import { rewardHackingRule, rewardNoiseRule, rewardParseFailureRule } from "../../src/diagnosis/rules.js";
import { ctx, healthy, jump, mentions } from "./helpers.js";

/** Batch statistics of a 0/1 reward and a 0/1 correctness with P(r=1,c=1) = both. */
function batch(pr: number, pc: number, both: number) {
  const sr = Math.sqrt(pr * (1 - pr));
  const sc = Math.sqrt(pc * (1 - pc));
  return { reward: pr, correct: pc, corr: (both - pr * pc) / (sr * sc), std: sr };
}

/** Healthy (reward = correctness, half solved) before the alarm, `after` from it, with modest z on the reward signals. */
function binaryRun(after: ReturnType<typeof batch>, z: { reward: number; correct: number; corr: number; std: number }) {
  const before = batch(0.5, 0.5, 0.45);
  return {
    ...healthy(),
    reward_mean: jump(before.reward, after.reward, z.reward),
    "reward.mean": jump(before.reward, after.reward, z.reward),
    correct_mean: jump(before.correct, after.correct, z.correct),
    "correct.mean": jump(before.correct, after.correct, z.correct),
    "corr.reward_correct": jump(before.corr, after.corr, z.corr),
    reward_std: jump(before.std, after.std, z.std),
  };
}

describe("splitting the reward/correctness disagreement", () => {
  it("recovers false and missed reward shares of a binary reward", () => {
    const b = batch(0.6, 0.5, 0.42);
    const s = splitDisagreement(b.reward, b.correct, b.corr, b.std)!;
    expect(s.falseRewards).toBeCloseTo(0.18, 10);
    expect(s.missedRewards).toBeCloseTo(0.08, 10);
  });

  it("handles a constant side (no correlation) and refuses a non-binary reward", () => {
    expect(splitDisagreement(0, 0.6, NaN, 0)).toEqual({ falseRewards: 0, missedRewards: 0.6 });
    expect(splitDisagreement(0.5, 0.5, 0.8, 0.2)).toBeUndefined();
    expect(splitDisagreement(3, 0.5, 0.8, 0)).toBeUndefined();
  });

  it("compares the episode with the steps before the alarm", () => {
    const c = confusion(ctx(binaryRun(batch(0.6, 0.5, 0.45), { reward: 1, correct: 0, corr: -5, std: 0 })))!;
    expect(c.healthyFalse).toBeCloseTo(0.05, 10);
    expect(c.falseRewards).toBeCloseTo(0.15, 10);
    expect(c.missedRewards).toBeCloseTo(0.05, 10);
    expect([c.from, c.to]).toEqual([15, 17]);
  });

  it("is unknown without reward_std (binary reward unverified)", () => {
    const { reward_std: _s, ...signals } = binaryRun(batch(0.6, 0.5, 0.45), {
      reward: 1,
      correct: 0,
      corr: -5,
      std: 0,
    });
    expect(confusion(ctx(signals))).toBeUndefined();
  });
});

describe("reward rules on a binary reward", () => {
  it("false rewards only: reward_hacking, even when the reward barely rises", () => {
    const c = ctx(binaryRun(batch(0.62, 0.5, 0.45), { reward: 1.3, correct: 0, corr: -6, std: 0 }));
    const f = rewardHackingRule.apply(c);
    expect(f?.fault).toBe("reward_hacking");
    expect(mentions(f, "17% of trajectories rewarded although wrong over steps 15..17 (healthy 5%")).toBe(true);
    expect(rewardParseFailureRule.apply(c)).toBeNull();
    expect(diagnose(c)[0].fault).toBe("reward_hacking");
  });

  it("missed rewards only: reward_parse_failure", () => {
    const c = ctx(binaryRun(batch(0.2, 0.5, 0.15), { reward: -6, correct: 0, corr: -9, std: -2 }));
    const f = rewardParseFailureRule.apply(c);
    expect(mentions(f, "not rewarded although right")).toBe(true);
    expect(rewardHackingRule.apply(c)).toBeNull();
    expect(diagnose(c)[0].fault).toBe("reward_parse_failure");
  });

  it("both: reward_noise", () => {
    const c = ctx(binaryRun(batch(0.45, 0.5, 0.3), { reward: -1, correct: 0, corr: -9, std: 0 }));
    const f = rewardNoiseRule.apply(c);
    expect(mentions(f, "rewarded although wrong") && mentions(f, "not rewarded although right")).toBe(true);
    expect(diagnose(c)[0].fault).toBe("reward_noise");
  });

  it("a binary reward that gives no false rewards is not gamed, however it rises", () => {
    const c = ctx(binaryRun(batch(0.8, 0.8, 0.8), { reward: 8, correct: 1, corr: 0, std: 0 }));
    expect(rewardHackingRule.apply(c)).toBeNull();
  });
});
