import { describe, expect, it } from "vitest";
import { type GroupScores, quantile, type RunOutcome, scoreOutcomes } from "../../bench/faultbench/metrics.js";

const healthy = (run: string, firstAlarm: number | null): RunOutcome => ({
  run,
  fault: "healthy",
  family: "healthy",
  severity: null,
  onset: null,
  firstAlarm,
  diagnosis: [],
});
const dx = (...faults: [string, string][]) => faults.map(([fault, family]) => ({ fault, family, confidence: 0.5 }));

/**
 * Four healthy runs (one alarmed) and five faulty runs: a detected one, one
 * alarmed before its onset, one detected with the right fault second, one
 * missed, and one detected at onset 0 with the right fault fourth.
 */
const outcomes: RunOutcome[] = [
  healthy("h1", null),
  healthy("h2", 5),
  healthy("h3", null),
  healthy("h4", null),
  {
    run: "a1",
    fault: "tool_failure",
    family: "tool_environment",
    severity: "severe",
    onset: 10,
    firstAlarm: 12,
    diagnosis: dx(["tool_failure", "tool_environment"]),
  },
  {
    run: "a2",
    fault: "tool_failure",
    family: "tool_environment",
    severity: "moderate",
    onset: 10,
    firstAlarm: 8,
    diagnosis: dx(["tool_failure", "tool_environment"]),
  },
  {
    run: "a3",
    fault: "worker_failure",
    family: "tool_environment",
    severity: "severe",
    onset: 20,
    firstAlarm: 25,
    diagnosis: dx(["tool_failure", "tool_environment"], ["worker_failure", "tool_environment"]),
  },
  {
    run: "a4",
    fault: "worker_failure",
    family: "tool_environment",
    severity: "subtle",
    onset: 20,
    firstAlarm: null,
    diagnosis: [],
  },
  {
    run: "b1",
    fault: "lr_too_high",
    family: "optimization_dynamics",
    severity: "severe",
    onset: 0,
    firstAlarm: 0,
    diagnosis: dx(
      ["kl_penalty_off", "optimization_dynamics"],
      ["gradient_explosion", "optimization_dynamics"],
      ["nan_inf", "optimization_dynamics"],
      ["lr_too_high", "optimization_dynamics"],
    ),
  },
];

const scores = scoreOutcomes(outcomes);
const group = (name: string): GroupScores => scores.groups.find((g) => g.group === name)!;

describe("fault benchmark metrics", () => {
  it("interpolates quantiles linearly between order statistics", () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 12);
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([], 0.5)).toBeNull();
  });

  it("counts a first alarm before onset as a false alarm and a miss", () => {
    expect(group("tool_failure").detection).toEqual({
      tp: 1,
      fp: 2,
      fn: 1,
      early: 1,
      precision: 1 / 3,
      recall: 0.5,
      f1: expect.closeTo(0.4, 12),
    });
    expect(group("tool_failure").delay).toEqual({ median: 2, p90: 2 });
  });

  it("scores a family on its faulty runs plus every healthy run", () => {
    const g = group("tool_environment");
    expect([g.by, g.faulty, g.healthy]).toEqual(["family", 4, 4]);
    expect(g.detection).toEqual({ tp: 2, fp: 2, fn: 2, early: 1, precision: 0.5, recall: 0.5, f1: 0.5 });
    expect(g.delay.median).toBe(3.5);
    expect(g.delay.p90).toBeCloseTo(4.7, 12);
    expect(g.diagnosis).toEqual({ type_top1: 0.25, type_top3: 0.5, family_top1: 0.5, family_top3: 0.5 });
    expect(g.diagnosis_detected).toEqual({ type_top1: 0.5, type_top3: 1, family_top1: 1, family_top3: 1 });
    expect(g.flag_everything.precision).toBe(0.5);
    expect(g.flag_everything.recall).toBe(1);
    expect(g.flag_everything.f1).toBeCloseTo(2 / 3, 12);
  });

  it("gives diagnosis credit only within the first k entries", () => {
    const g = group("lr_too_high");
    expect(g.detection).toMatchObject({ tp: 1, fp: 1, precision: 0.5, recall: 1 });
    expect(g.detection.f1).toBeCloseTo(2 / 3, 12);
    expect(g.delay).toEqual({ median: 0, p90: 0 });
    expect(g.diagnosis).toEqual({ type_top1: 0, type_top3: 0, family_top1: 1, family_top3: 1 });
  });

  it("scores all faulty runs, severities, and the false-alarm rate", () => {
    expect(scores).toMatchObject({ runs: 9, faulty: 5, healthy: 4, false_alarm_rate: 0.25 });
    const all = group("all");
    expect(all.detection).toMatchObject({ tp: 3, fp: 2, fn: 2, early: 1, precision: 0.6, recall: 0.6 });
    expect(all.delay.median).toBe(2);
    expect(all.delay.p90).toBeCloseTo(4.4, 12);
    expect(group("severe").detection).toMatchObject({ tp: 3, fp: 1, fn: 0, precision: 0.75, recall: 1 });
    expect(group("severe").detection.f1).toBeCloseTo(6 / 7, 12);
    const moderate = group("moderate");
    expect(moderate.detection).toEqual({ tp: 0, fp: 2, fn: 1, early: 1, precision: 0, recall: 0, f1: 0 });
    expect(moderate.delay).toEqual({ median: null, p90: null });
    expect(moderate.diagnosis_detected).toBeNull();
    expect(group("subtle").detection).toMatchObject({ tp: 0, fp: 1, fn: 1, f1: 0 });
  });

  it("lists only groups that have runs, and averages F1 over the families present", () => {
    expect(scores.groups.map((g) => g.group)).toEqual([
      "all",
      "optimization_dynamics",
      "tool_environment",
      "lr_too_high",
      "tool_failure",
      "worker_failure",
      "subtle",
      "moderate",
      "severe",
      "mid-run subtle",
      "mid-run moderate",
      "mid-run severe",
      "from step 0 severe",
    ]);
    // The onset groups split each severity's runs: mid-run faults apart from those there from step 0.
    for (const s of ["subtle", "moderate", "severe"]) {
      const parts = scores.groups.filter((g) => g.by === "onset" && g.group.endsWith(` ${s}`));
      expect(parts.reduce((n, g) => n + g.faulty, 0)).toBe(group(s).faulty);
    }
    expect(scores.macro_f1.detector).toBeCloseTo((2 / 3 + 0.5) / 2, 12);
    // Flag-everything: tool_environment 4 of 8 flagged runs faulty (F1 2/3), optimization_dynamics 1 of 5 (F1 1/3).
    expect(scores.macro_f1.flag_everything).toBeCloseTo(0.5, 12);
  });

  it("has no false-alarm rate without healthy runs", () => {
    expect(scoreOutcomes(outcomes.filter((o) => o.fault !== "healthy")).false_alarm_rate).toBeNull();
  });
});
