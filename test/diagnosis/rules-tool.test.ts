import { describe, expect, it } from "vitest";
import { observationCorruptionRule, toolFailureRule, workerFailureRule } from "../../src/diagnosis/rules.js";
import { ctx, healthy, jump, mentions, noZ, stepOnly } from "./helpers.js";
import { SCENARIOS } from "./scenarios.js";

describe("tool_failure rule", () => {
  it("fires on the tool error rate rising", () => {
    const f = toolFailureRule.apply(ctx(SCENARIOS.tool_failure()));
    expect(f?.fault).toBe("tool_failure");
    expect(mentions(f, "tool_error_rate 0.65 at step 15", "+15.0σ", "tool calls failing")).toBe(true);
    expect(f!.onset).toBe(15);
  });

  it("judges from the value when no z is known, stronger for more errors", () => {
    const at = (rate: number) =>
      toolFailureRule.apply(ctx({ "rate.tool_error": noZ([0, 0, 0, 0, 0, rate, rate, rate], 0) }));
    expect(mentions(at(0.3), "rate.tool_error 0.3 at step 15", "healthy 0")).toBe(true);
    expect(at(0.3)!.confidence).toBeLessThan(at(0.6)!.confidence);
    expect(at(0.05)).toBeNull();
  });

  it("does not fire on a healthy run", () => {
    expect(toolFailureRule.apply(ctx(healthy()))).toBeNull();
  });
});

describe("observation_corruption rule", () => {
  it("fires on correctness falling with format failures and an abrupt shift", () => {
    const f = observationCorruptionRule.apply(ctx(SCENARIOS.observation_corruption()));
    expect(f?.fault).toBe("observation_corruption");
    expect(mentions(f, "correct_mean 0.3 at step 15", "-10.0σ")).toBe(true);
    expect(mentions(f, "rate.format 0.5 at step 15", "format failures")).toBe(true);
    expect(f!.confidence).toBeGreaterThan(0.6);
  });

  it("does not fire when workers were lost, nor when correctness falls without an input symptom", () => {
    expect(
      observationCorruptionRule.apply(
        ctx({ ...SCENARIOS.observation_corruption(), num_trajectories: jump(64, 40, -20) }),
      ),
    ).toBeNull();
    expect(observationCorruptionRule.apply(ctx({ ...healthy(), correct_mean: jump(0.7, 0.3, -10) }))).toBeNull();
  });
});

describe("worker_failure rule", () => {
  it("fires on fewer trajectories and slower steps, naming the share lost", () => {
    const f = workerFailureRule.apply(ctx(SCENARIOS.worker_failure()));
    expect(f?.fault).toBe("worker_failure");
    expect(mentions(f, "num_trajectories 40 at step 15", "38% of the trajectories missing")).toBe(true);
    expect(mentions(f, "step_time 33 at step 15")).toBe(true);
    expect(f!.confidence).toBeGreaterThan(0.9);
  });

  it("fires weakly on step time alone, but not when longer responses explain it", () => {
    const slow = workerFailureRule.apply(ctx({ ...stepOnly(), step_time: jump(3, 30, 10) }));
    expect(slow?.fault).toBe("worker_failure");
    expect(slow!.confidence).toBeLessThan(0.6);
    expect(
      workerFailureRule.apply(
        ctx({ ...stepOnly(), step_time: jump(3, 30, 10), response_length_mean: jump(12, 40, 9) }),
      ),
    ).toBeNull();
  });

  it("does not fire on a healthy run", () => {
    expect(workerFailureRule.apply(ctx(healthy()))).toBeNull();
  });
});
