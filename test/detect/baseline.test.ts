import { describe, expect, it } from "vitest";
import { BaselineDetector, scan, type ObservedStep } from "../../src/index.js";
import { seededRandom } from "../../bench/random.js";

/** A step that sent only trainer metrics (no trajectory tensor). */
function metricStep(run: string, step: number, metrics: Record<string, number>): ObservedStep {
  return { data: { run, step, metrics }, columns: [], features: null };
}

/** A stationary series of a few signals: noise around fixed levels. */
function stationary(seed: number, steps: number, run = "r") {
  const rng = seededRandom(seed);
  return Array.from({ length: steps }, (_, i) => ({
    run,
    step: i + 1,
    metrics: {
      grad_norm: Math.exp(0.2 * rng.normal()),
      entropy: 0.6 + 0.03 * rng.normal(),
      kl_ref: 0.1 + 0.01 * rng.normal(),
      num_trajectories: 64,
      tool_error_rate: 0,
    },
  }));
}

const alarms = (detector: BaselineDetector, steps: { run: string; step: number; metrics: Record<string, number> }[]) =>
  steps.map((s) => detector.observe(metricStep(s.run, s.step, s.metrics))).filter((v) => v.anomalous);

describe("baseline detector", () => {
  it("stays quiet on stationary series with its default settings", () => {
    for (const seed of [1, 2, 3]) expect(alarms(new BaselineDetector(), stationary(seed, 200))).toEqual([]);
  });

  it("alarms on a planted level shift once it has lasted `consecutive` steps, then takes the new level as normal", () => {
    const detector = new BaselineDetector({ warmup: 8, window: 16, threshold: 6, consecutive: 2 });
    const steps = stationary(4, 60);
    for (const s of steps.slice(30)) s.metrics.entropy += 0.5;
    const raised = alarms(detector, steps);
    expect(raised).toHaveLength(1);
    expect(raised[0].step).toBe(32);
    expect(raised[0].anomalies).toEqual([
      { signal: "entropy", score: expect.any(Number), direction: "up", detector: "robust_z" },
    ]);
    expect(raised[0].anomalies[0].score).toBeGreaterThan(6);
  });

  it("scores a drop in trajectories and a first tool error against a flat baseline (its floor, not a zero MAD)", () => {
    const detector = new BaselineDetector({ threshold: 12, consecutive: 1 });
    const steps = stationary(5, 20);
    steps[15].metrics.num_trajectories = 56;
    steps[17].metrics.tool_error_rate = 0.3;
    const raised = alarms(detector, steps);
    expect(raised.map((v) => [v.step, v.anomalies.map((a) => a.signal)])).toEqual([
      [16, ["num_trajectories"]],
      [18, ["tool_error_rate"]],
    ]);
    // 8 fewer trajectories than 64, over a 1% floor (0.64).
    expect(raised[0].anomalies[0]).toMatchObject({ direction: "down", score: 12.5 });
  });

  it("alarms at once on a non-finite value, even during warm-up", () => {
    const detector = new BaselineDetector();
    const steps = stationary(6, 10);
    steps[2].metrics.grad_norm = NaN;
    const raised = alarms(detector, steps);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ step: 3, anomalies: [{ signal: "nonfinite", score: 1, direction: "up", detector: "nonfinite" }] });
  });

  it("reads the trajectory tensor's features, NaN cells included", () => {
    const detector = new BaselineDetector();
    const tensor = (step: number, rows: number, rewardNaN = false) =>
      scan([
        {
          run: "t",
          step,
          trajectories: {
            rows,
            columns: new Map([
              ["group", Array.from({ length: rows }, (_, i) => i >> 2)],
              ["reward", Array.from({ length: rows }, (_, i) => (rewardNaN && i === 0 ? NaN : (i + step) % 2))],
            ]),
          },
        },
      ])[0];
    for (let step = 1; step <= 10; step++) expect(detector.observe(tensor(step, 16)).anomalous).toBe(false);
    const verdict = detector.observe(tensor(11, 16, true));
    expect(verdict.anomalies).toEqual([{ signal: "nonfinite", score: 1, direction: "up", detector: "nonfinite" }]);
  });

  it("rejects settings it cannot honour", () => {
    expect(() => new BaselineDetector({ warmup: 8, window: 4 })).toThrow(RangeError);
    expect(() => new BaselineDetector({ consecutive: 0 })).toThrow(/consecutive/);
    expect(() => new BaselineDetector({ threshold: -1 })).toThrow(/threshold/);
  });

  it("keeps interleaved runs apart", () => {
    const detector = new BaselineDetector({ threshold: 12, consecutive: 1 });
    const a = stationary(7, 30, "a");
    const b = stationary(8, 30, "b");
    for (const s of b.slice(20)) s.metrics.grad_norm *= 100;
    const raised = a.flatMap((s, i) => alarms(detector, [s, b[i]]));
    expect(raised.map((v) => [v.run, v.step])).toEqual([["b", 21]]);
  });
});
