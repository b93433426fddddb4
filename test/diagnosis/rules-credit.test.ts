import { describe, expect, it } from "vitest";
import { advantageMisnormalizationRule, difficultySkewRule, groupMisindexingRule } from "../../src/diagnosis/rules.js";
import { always, ctx, flat, healthy, jump, mentions } from "./helpers.js";
import { SCENARIOS } from "./scenarios.js";

describe("group_misindexing rule", () => {
  it("fires on irregular group sizes and advantages that no longer follow the reward, from the start", () => {
    const f = groupMisindexingRule.apply(ctx(SCENARIOS.group_misindexing()));
    expect(f?.fault).toBe("group_misindexing");
    expect(mentions(f, "group.size_min 2 at step", "-10.0σ")).toBe(true);
    expect(mentions(f, "corr.advantage_reward 0.45")).toBe(true);
    expect(mentions(f, "off from the first step seen")).toBe(true);
    expect(f!.confidence).toBeGreaterThan(0.8);
  });

  it("does not fire on a healthy run, nor count missing groups when workers were lost", () => {
    expect(groupMisindexingRule.apply(ctx(healthy()))).toBeNull();
    expect(groupMisindexingRule.apply(ctx(SCENARIOS.worker_failure()))).toBeNull();
  });

  it("takes groups that mix prompts for the fault itself: the invariant's alarm, or the traced share", () => {
    const alarm = {
      signal: "group.prompt_mismatch_share",
      score: 0.4,
      direction: "up" as const,
      detector: "invariant:groups_mix_prompts",
    };
    // No other sign at all: the mixed groups alone make the case.
    const fromAlarm = groupMisindexingRule.apply(ctx(healthy(), { anomalies: [alarm] }));
    expect(fromAlarm?.fault).toBe("group_misindexing");
    expect(mentions(fromAlarm, "group.prompt_mismatch_share 0.4", "more than one prompt_id")).toBe(true);
    expect(fromAlarm!.confidence).toBeCloseTo(0.95, 10);
    const fromTrace = groupMisindexingRule.apply(
      ctx({ ...healthy(), "group.prompt_mismatch_share": always(0.06, NaN, 0) }),
    );
    expect(fromTrace!.confidence).toBeCloseTo(0.85 + 0.1 * (0.06 / 0.3), 10);
    // Every group one prompt: no case from it.
    expect(groupMisindexingRule.apply(ctx({ ...healthy(), "group.prompt_mismatch_share": flat(0) }))).toBeNull();
  });
});

describe("advantage_misnormalization rule", () => {
  it("fires on advantages not centred per group", () => {
    const f = advantageMisnormalizationRule.apply(ctx(SCENARIOS.advantage_misnormalization()));
    expect(f?.fault).toBe("advantage_misnormalization");
    expect(mentions(f, "group.adv_center_abs_mean 0.9 at step", "+40.0σ", "not centred")).toBe(true);
    expect(f!.confidence).toBeGreaterThan(0.85);
  });

  it("fires on advantages pointing against the reward (a sign flip) and on an exploded scale", () => {
    const flipped = advantageMisnormalizationRule.apply(
      ctx({ ...healthy(), "corr.advantage_reward": always(-0.95, -30, 0.8) }),
    );
    expect(mentions(flipped, "corr.advantage_reward -0.95 at step", "against the reward")).toBe(true);
    const scaled = advantageMisnormalizationRule.apply(
      ctx({ ...healthy(), "group.adv_scale_max": always(9.5, 50, 0.95) }),
    );
    expect(mentions(scaled, "group.adv_scale_max 9.5", "scale off")).toBe(true);
  });

  it("does not fire on a healthy run, nor on a lower scale explained by zero-variance groups", () => {
    expect(advantageMisnormalizationRule.apply(ctx(healthy()))).toBeNull();
    const skewed = {
      ...healthy(),
      "group.zero_var_share": jump(0.2, 0.9, 10),
      "group.adv_scale_mean": jump(0.8, 0.1, -9),
      "advantage.std": jump(0.8, 0.2, -8),
    };
    expect(advantageMisnormalizationRule.apply(ctx(skewed))).toBeNull();
  });
});

describe("difficulty_skew rule", () => {
  it("fires on zero-variance groups rising while reward and correctness rise together (all solved)", () => {
    const f = difficultySkewRule.apply(ctx(SCENARIOS.difficulty_skew()));
    expect(f?.fault).toBe("difficulty_skew");
    expect(mentions(f, "group.zero_var_share 0.9 at step 15", "+10.0σ")).toBe(true);
    expect(mentions(f, "reward_mean 0.95 at step 15", "all solved")).toBe(true);
    expect(f!.confidence).toBeGreaterThan(0.8);
  });

  it("reads all-failed batches", () => {
    const hard = {
      ...healthy(),
      "group.zero_var_share": jump(0.2, 0.9, 10),
      reward_mean: jump(0.5, 0.05, -9),
      correct_mean: jump(0.5, 0.05, -9),
    };
    expect(mentions(difficultySkewRule.apply(ctx(hard)), "all failed")).toBe(true);
  });

  it("is much weaker when correctness does not move with the reward, and silent without zero-variance groups", () => {
    const strong = difficultySkewRule.apply(ctx(SCENARIOS.difficulty_skew()))!.confidence;
    const decoupled = difficultySkewRule.apply(ctx(SCENARIOS.reward_parse_failure()));
    expect(decoupled === null || decoupled.confidence < strong / 2).toBe(true);
    expect(difficultySkewRule.apply(ctx({ ...healthy(), reward_mean: jump(0.5, 0.95, 9) }))).toBeNull();
  });
});
