import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CORPUS, planCorpus } from "../../bench/faultbench/corpus.js";
import { monitorObserver } from "../../bench/faultbench/observers.js";
import { RECOVERY_TOLERANCE } from "../../bench/faultbench/remediate.js";
import { type RunResult, type RunSpec, runTraining } from "../../bench/faultbench/trainer.js";
import {
  type Action,
  Monitor,
  observeAndApply,
  type TelemetryRecord,
  type TrainerAdapter,
  type Verdict,
} from "../../src/index.js";
import { healthyMetricRun } from "../monitor/helpers.js";

/**
 * The closed loop end to end on the benchmark trainer: a severe tool failure
 * on a test-split seed (the shipped fingerprints never saw it), shortened to
 * 40 steps. Without the monitor the policy learns through a broken calculator
 * and ends far below its matched healthy run; with it, the monitor alarms at
 * the onset, diagnoses tool_failure, restarts the workers, and the run ends
 * within the recovery tolerance of the healthy run.
 */
const STEPS = 40;
const { specs, labels } = planCorpus(DEFAULT_CORPUS);
const byId = (id: string): RunSpec => ({ ...specs.find((s) => s.id === id)!, steps: STEPS });
const FAULTY = "s7-tool_failure-severe";

describe("closed loop on the benchmark trainer", () => {
  const faulty = byId(FAULTY);
  const healthy = byId(labels.runs[FAULTY].matched_healthy);
  const onset = faulty.fault!.onset;
  let reference: RunResult;
  let unmonitored: RunResult;
  let monitored: RunResult;
  const verdicts: Verdict[] = [];
  const emitted: TelemetryRecord[] = [];

  beforeAll(() => {
    reference = runTraining(healthy, () => {});
    unmonitored = runTraining(faulty, () => {});
    monitored = runTraining(
      faulty,
      (r) => emitted.push(r),
      monitorObserver((v) => verdicts.push(v)),
    );
  }, 60_000);

  it("runs the plan's test-split run with its fault mid-run", () => {
    expect(labels.runs[FAULTY]).toMatchObject({
      split: "test",
      fault: "tool_failure",
      severity: "severe",
      matched_healthy: "s7-healthy-0",
    });
    expect(onset).toBe(20);
    expect([reference.steps, unmonitored.steps, monitored.steps]).toEqual([STEPS, STEPS, STEPS]);
    // Unremediated, the fault costs far more than the tolerance: the remedy has something to save.
    expect(unmonitored.finalAccuracy).toBeLessThan(reference.finalAccuracy - 4 * RECOVERY_TOLERANCE);
  });

  it("alarms at or after the onset, never before, and diagnoses tool_failure", () => {
    expect(verdicts.map((v) => v.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    expect(verdicts.every((v) => v.errors === undefined)).toBe(true);
    const alarm = verdicts.find((v) => v.anomalous)!;
    expect(alarm.step).toBeGreaterThanOrEqual(onset);
    expect(alarm.step).toBeLessThanOrEqual(onset + 1);
    expect(alarm.anomalies.map((a) => a.signal)).toContain("tool_error_rate");
    expect(alarm.diagnosis[0]).toMatchObject({ fault: "tool_failure", family: "tool_environment" });
  });

  it("alerts at the alarm, restarts the workers once the diagnosis held for 3 alarmed points, and the trainer applies it", () => {
    const first = verdicts.find((v) => v.anomalous)!.step;
    expect(verdicts.find((v) => v.step === first)!.actions.map((a) => a.kind)).toEqual(["alert"]);
    const fixes = monitored.actions.filter((a) => a.action.kind !== "alert");
    expect(fixes).toEqual([{ step: first + 2, action: { kind: "restart_workers" } satisfies Action }]);
    const alarm = fixes[0].step;
    expect(monitored.halted).toBeNull();
    const applied = emitted.filter(
      (r) => r.kind === "event" && r.name === "action_applied" && (r.data as { action: string }).action !== "alert",
    );
    expect(applied).toEqual([
      { kind: "event", run: FAULTY, step: alarm, name: "action_applied", data: { action: "restart_workers" } },
    ]);
    // Tool calls fail until the restart and never after it.
    const toolErrors = emitted.flatMap((r) =>
      r.kind === "step" ? [[r.step, r.metrics.tool_error_rate] as const] : [],
    );
    expect(toolErrors.filter(([s]) => s <= alarm && s >= onset).every(([, rate]) => rate > 0.3)).toBe(true);
    expect(toolErrors.filter(([s]) => s > alarm).map(([, rate]) => rate)).toEqual(new Array(STEPS - alarm).fill(0));
  });

  it("recovers: the final accuracy is within the tolerance of the matched healthy run", () => {
    expect(monitored.finalAccuracy).toBeGreaterThanOrEqual(reference.finalAccuracy - RECOVERY_TOLERANCE);
    expect(monitored.finalAccuracy).toBeGreaterThan(unmonitored.finalAccuracy + 0.3);
  });
});

describe("observeAndApply", () => {
  /** A trainer whose rollback is broken; it records what it was asked to do. */
  class BrokenRollback implements TrainerAdapter {
    readonly asked: string[] = [];
    apply(action: Action): unknown {
      this.asked.push(action.kind);
      if (action.kind === "rollback") throw new Error("no checkpoint on disk");
      if (action.kind === "scale_lr") throw "lr is locked"; // not even an Error
      return { ok: action.kind };
    }
  }

  it("reports an action the adapter refuses instead of throwing, and applies the rest in order", () => {
    const monitor = new Monitor({ policy: { mode: "act" } });
    const adapter = new BrokenRollback();
    // NaN losses from step 25: an alarm at the second (26), an alert, the fix at the third alarmed point (28).
    const run = healthyMetricRun("loop", 30, 1, (name, v, t) => (name === "loss" && t >= 25 && t <= 28 ? NaN : v));
    const results = run.map((step) => observeAndApply(monitor, adapter, step));
    const acted = results.filter((r) => r.applied.length > 0);
    expect(acted.map((r) => r.verdict.step)).toEqual([26, 28]);
    expect(acted[1].applied).toEqual([
      { action: { kind: "rollback", to_step: 0 }, applied: false, error: "no checkpoint on disk" },
      { action: { kind: "skip_batch" }, applied: true, result: { ok: "skip_batch" } },
    ]);
    expect(adapter.asked).toEqual(["alert", "rollback", "skip_batch"]);
    expect(results.every((r) => r.applied.length === r.verdict.actions.length)).toBe(true);
  });

  it("reports a non-Error throw by its text, and judges the next steps as usual", () => {
    const monitor = new Monitor({ policy: { mode: "act" } });
    const adapter = new BrokenRollback();
    const run = healthyMetricRun("lr", 30, 1, (name, v, t) => (name === "grad_norm" && t >= 20 ? v * 1000 : v));
    const results = run.map((step) => observeAndApply(monitor, adapter, step));
    // The alarm stands at step 21; the fix comes at the third alarmed point.
    expect(results[23].applied).toEqual([
      { action: { kind: "scale_lr", factor: 0.5 }, applied: false, error: "lr is locked" },
    ]);
    // The policy goes on: the rollback round of the escalation is reported refused too.
    const escalation = results.find((r) => r.verdict.step > 23 && r.applied.length > 0)!;
    expect(escalation.applied.map((a) => [a.action.kind, a.applied])).toEqual([
      ["rollback", false],
      ["scale_lr", false],
    ]);
    expect(results.slice(21).every((r) => r.verdict.errors === undefined)).toBe(true);
  });

  it("gives a bad step's verdict with its errors and applies nothing", () => {
    const monitor = new Monitor({ policy: { mode: "act" }, onError: () => {} });
    const adapter = new BrokenRollback();
    const result = observeAndApply(monitor, adapter, { run: "x", step: -1 });
    expect(result.verdict.errors).toEqual(["step: expected a non-negative integer, got -1"]);
    expect(result.applied).toEqual([]);
    expect(adapter.asked).toEqual([]);
  });
});
