import { describe, expect, it } from "vitest";
import {
  lengthTruncationRule,
  rolloutPolicyMismatchRule,
  temperatureMisconfiguredRule,
} from "../../src/diagnosis/rules.js";
import { ctx, healthy, jump, mentions, stepOnly } from "./helpers.js";
import { SCENARIOS } from "./scenarios.js";

describe("temperature_misconfigured rule", () => {
  it("fires on entropy far from healthy from the start with length and truncation up", () => {
    const f = temperatureMisconfiguredRule.apply(ctx(SCENARIOS.temperature_misconfigured()));
    expect(f?.fault).toBe("temperature_misconfigured");
    expect(mentions(f, "entropy 2.4 at step", "+12.0σ", "sampling too hot")).toBe(true);
    expect(mentions(f, "off from the first step seen")).toBe(true);
    expect(f!.confidence).toBeGreaterThan(0.8);
    expect(f!.onset).toBe(10);
  });

  it("reads a cold temperature too", () => {
    const f = temperatureMisconfiguredRule.apply(
      ctx({
        ...healthy(),
        entropy: { ...jump(0.1, 0.1, -9, 0.8), z: new Array(8).fill(-9) },
        "group.zero_var_share": { ...jump(0.7, 0.7, 8, 0.2), z: new Array(8).fill(8) },
      }),
    );
    expect(mentions(f, "sampling too cold")).toBe(true);
  });

  it("does not fire on a mid-run entropy change without corroboration, nor on a healthy run", () => {
    expect(temperatureMisconfiguredRule.apply(ctx({ ...healthy(), entropy: jump(0.8, 1.6, 6) }))).toBeNull();
    expect(temperatureMisconfiguredRule.apply(ctx(healthy()))).toBeNull();
  });
});

describe("length_truncation rule", () => {
  it("fires on truncation up with length.p90 pinned at the cap", () => {
    const f = lengthTruncationRule.apply(ctx(SCENARIOS.length_truncation()));
    expect(f?.fault).toBe("length_truncation");
    expect(mentions(f, "truncation_rate 0.6 at step", "+20.0σ")).toBe(true);
    expect(mentions(f, "length.p90 pinned at 8")).toBe(true);
    expect(f!.confidence).toBeGreaterThan(0.9);
  });

  it("uses rate.truncation when truncation_rate is not logged", () => {
    const { truncation_rate: _t, ...signals } = SCENARIOS.length_truncation();
    expect(mentions(lengthTruncationRule.apply(ctx(signals)), "rate.truncation 0.6")).toBe(true);
  });

  it("does not fire when truncation is healthy", () => {
    expect(lengthTruncationRule.apply(ctx(healthy()))).toBeNull();
  });
});

describe("rollout_policy_mismatch rule", () => {
  it("fires on the log-prob gap and importance ratios moving, with clip_frac and ppo_kl up", () => {
    const f = rolloutPolicyMismatchRule.apply(ctx(SCENARIOS.rollout_policy_mismatch()));
    expect(f?.fault).toBe("rollout_policy_mismatch");
    expect(mentions(f, "logprob_gap.mean 0.08 at step 15", "+12.0σ")).toBe(true);
    expect(mentions(f, "ratio_max.max 6 at step 15", "importance ratios off 1")).toBe(true);
    expect(mentions(f, "clip_frac")).toBe(true);
    expect(f!.confidence).toBeGreaterThan(0.9);
  });

  it("on step-only logs, fires weakly from clip_frac and ppo_kl alone", () => {
    const f = rolloutPolicyMismatchRule.apply(
      ctx({ ...stepOnly(), clip_frac: jump(0.01, 0.08, 6), ppo_kl: jump(0.002, 0.01, 5) }),
    );
    expect(f?.fault).toBe("rollout_policy_mismatch");
    expect(f!.confidence).toBeLessThan(0.4);
  });

  it("does not fire when the log-prob statistics are logged and healthy", () => {
    expect(
      rolloutPolicyMismatchRule.apply(
        ctx({ ...healthy(), clip_frac: jump(0.01, 0.08, 6), ppo_kl: jump(0.002, 0.01, 5) }),
      ),
    ).toBeNull();
    expect(rolloutPolicyMismatchRule.apply(ctx(healthy()))).toBeNull();
  });
});
