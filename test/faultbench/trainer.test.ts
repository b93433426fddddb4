import { describe, expect, it } from "vitest";
import { NOMINAL } from "../../bench/faultbench/hparams.js";
import { runTraining } from "../../bench/faultbench/trainer.js";
import type { Action, TelemetryRecord } from "../../src/index.js";
import { mean, SEED, trainShort } from "./helpers.js";

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

  it("shows a monitor in the loop every checkpoint and applied action, and applies its actions", () => {
    const seen: TelemetryRecord[][] = [];
    const emitted: TelemetryRecord[] = [];
    const result = runTraining(
      { id: "loop", seed: SEED, steps: 7, hparams: { ...NOMINAL }, fault: null },
      (r) => emitted.push(r),
      (records) => {
        seen.push(records);
        const step = records.find((r) => r.kind === "step")!.step;
        return step === 6
          ? ([
              { kind: "rollback", to_step: 5 },
              { kind: "scale_lr", factor: 0.5 },
            ] satisfies Action[])
          : [];
      },
    );
    const events = (records: TelemetryRecord[]) =>
      records.filter((r) => r.kind === "event").map((r) => `${r.kind === "event" ? r.name : ""}@${r.step}`);
    // The initial checkpoint arrives with step 1, step 5's with step 6, the actions of step 6 with step 7.
    expect(events(seen[0])).toEqual(["checkpoint@0"]);
    expect(events(seen[5])).toEqual(["checkpoint@5"]);
    expect(events(seen[6])).toEqual(["action_applied@6", "action_applied@6"]);
    // Everything is logged once, in order, and the actions took effect.
    expect(events(emitted)).toEqual(["checkpoint@0", "checkpoint@5", "action_applied@6", "action_applied@6"]);
    expect(result.actions.map((a) => a.action.kind)).toEqual(["rollback", "scale_lr"]);
    const lrs = emitted.filter((r) => r.kind === "step").map((r) => (r.kind === "step" ? r.metrics.lr : 0));
    expect(lrs[6]).toBeCloseTo(lrs[5] / 2, 12);
  });
});
