import { describe, expect, it } from "vitest";
import { mean, trainShort } from "./helpers.js";

describe("fault benchmark trainer", () => {
  it("learns on a short healthy run: reward and correctness go up", () => {
    const { steps } = trainShort(null, { steps: 20 });
    const reward = steps.map((s) => s.metrics.reward_mean);
    const correct = steps.map((s) => s.metrics.correct_mean);
    expect(mean(reward.slice(-4))).toBeGreaterThan(mean(reward.slice(0, 4)) + 0.1);
    expect(mean(correct.slice(-4))).toBeGreaterThan(mean(correct.slice(0, 4)) + 0.1);
    // Healthy: the reward is the truth, every value is finite, every worker reports.
    for (const s of steps) {
      expect(s.columns.reward).toEqual(s.columns.correct);
      expect(s.metrics.num_trajectories).toBe(64);
      expect(Object.values(s.metrics).every(Number.isFinite)).toBe(true);
    }
  });
});
