import { describe, expect, it } from "vitest";
import { rewardHackingRule, rewardNoiseRule, rewardParseFailureRule } from "../../src/diagnosis/rules.js";
import { ctx, healthy, jump, mentions, noZ, stepOnly } from "./helpers.js";
import { SCENARIOS } from "./scenarios.js";

describe("reward_hacking rule", () => {
  it("fires on reward rising while correctness stays flat and agreement drops", () => {
    const f = rewardHackingRule.apply(ctx(SCENARIOS.reward_hacking()));
    expect(f?.fault).toBe("reward_hacking");
    expect(mentions(f, "reward_mean 0.9 at step 15", "+8.0σ", "reward rising")).toBe(true);
    expect(mentions(f, "correct_mean 0.5 at step 15", "not rising")).toBe(true);
    expect(mentions(f, "corr.reward_correct 0.45 at step 15")).toBe(true);
    expect(mentions(f, "repetition.mean")).toBe(true);
    expect(f!.confidence).toBeGreaterThan(0.7);
  });

  it("falls back on reward.mean / correct.mean when the step metrics are missing", () => {
    const { reward_mean: _r, correct_mean: _c, ...signals } = SCENARIOS.reward_hacking();
    expect(mentions(rewardHackingRule.apply(ctx(signals)), "reward.mean 0.9")).toBe(true);
  });

  it("does not fire when correctness rises with the reward (learning), nor without any correctness signal", () => {
    const learning = {
      ...healthy(),
      reward_mean: jump(0.5, 0.9, 8),
      correct_mean: jump(0.5, 0.88, 8),
      "reward.mean": jump(0.5, 0.9, 8),
      "correct.mean": jump(0.5, 0.88, 8),
    };
    expect(rewardHackingRule.apply(ctx(learning))).toBeNull();
    const { correct_mean: _c, ...noCorrect } = stepOnly();
    expect(rewardHackingRule.apply(ctx({ ...noCorrect, reward_mean: jump(0.5, 0.9, 8) }))).toBeNull();
  });
});

describe("reward_parse_failure rule", () => {
  it("fires on rewards collapsing while correctness holds", () => {
    const f = rewardParseFailureRule.apply(ctx(SCENARIOS.reward_parse_failure()));
    expect(f?.fault).toBe("reward_parse_failure");
    expect(mentions(f, "reward_mean 0.02 at step 15", "-20.0σ")).toBe(true);
    expect(mentions(f, "correct_mean 0.6", "correctness holds")).toBe(true);
    expect(mentions(f, "group.zero_var_share 0.95 at step 15", "zero-variance groups jump")).toBe(true);
    expect(f!.confidence).toBeGreaterThan(0.8);
  });

  it("judges a collapse to 0 from values when no z is known", () => {
    const f = rewardParseFailureRule.apply(
      ctx({
        reward_mean: noZ([0.6, 0.6, 0.6, 0.6, 0.6, 0, 0, 0], 0.6),
        correct_mean: noZ([0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6], 0.6),
        reward_std: noZ([0.4, 0.4, 0.4, 0.4, 0.4, 0, 0, 0], 0.4),
      }),
    );
    expect(f?.fault).toBe("reward_parse_failure");
    expect(mentions(f, "reward_std 0 at step 15", "healthy 0.4")).toBe(true);
  });

  it("does not fire when correctness falls with the reward (harder batches), nor when both rise", () => {
    const harder = {
      ...SCENARIOS.reward_parse_failure(),
      correct_mean: jump(0.6, 0.02, -20),
      "correct.mean": jump(0.6, 0.02, -20),
    };
    expect(rewardParseFailureRule.apply(ctx(harder))).toBeNull();
    expect(rewardParseFailureRule.apply(ctx(SCENARIOS.difficulty_skew()))).toBeNull();
    expect(rewardParseFailureRule.apply(ctx(healthy()))).toBeNull();
  });
});

describe("reward_noise rule", () => {
  it("fires on reward/correctness agreement falling while the reward spread stays", () => {
    const f = rewardNoiseRule.apply(ctx(SCENARIOS.reward_noise()));
    expect(f?.fault).toBe("reward_noise");
    expect(mentions(f, "corr.reward_correct 0.55 at step 15", "-8.0σ")).toBe(true);
    expect(mentions(f, "group.reward_std_mean 0.45")).toBe(true);
    expect(f!.confidence).toBeGreaterThan(0.6);
  });

  it("does not fire when the reward spread collapses (a parse failure), nor on a healthy run", () => {
    expect(rewardNoiseRule.apply(ctx(SCENARIOS.reward_parse_failure()))).toBeNull();
    expect(rewardNoiseRule.apply(ctx(healthy()))).toBeNull();
  });
});
