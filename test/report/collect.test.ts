import { describe, expect, it } from "vitest";
import { ReportCollector } from "../../src/report/collect.js";
import type { Diagnosis, RunSummary, Verdict } from "../../src/verdict/types.js";

const quiet = (run: string, step: number): Verdict => ({
  run,
  step,
  anomalous: false,
  anomalies: [],
  diagnosis: [],
  actions: [],
});

const diag = (fault: Diagnosis["fault"], confidence: number, evidence: string[], onset?: number): Diagnosis => ({
  fault,
  family: "optimization_dynamics",
  confidence,
  evidence,
  ...(onset !== undefined ? { onset } : {}),
});

/**
 * A run of 30 steps logging reward_mean and kl_ref (and a tensor feature), whose
 * verdicts raise an episode at steps 12-15 on kl_ref with onset 10, diagnose
 * lr_too_high then kl_penalty_off, recommend a rollback at 13, and an episode
 * at 25 on group.zero_var_share.
 */
function collectRun(collector = new ReportCollector()) {
  for (let step = 1; step <= 30; step++) {
    let v = quiet("r", step);
    if (step === 12)
      v = {
        ...v,
        anomalous: true,
        anomalies: [{ signal: "kl_ref", score: 9.1, direction: "up", detector: "cusum" }],
        diagnosis: [diag("lr_too_high", 0.6, ["kl_ref rising 9.1σ since step 10"], 10)],
      };
    if (step === 13)
      v = {
        ...v,
        anomalous: true,
        anomalies: [
          { signal: "kl_ref", score: 12, direction: "up", detector: "cusum" },
          { signal: "grad_norm", score: 4, direction: "up", detector: "spike" },
        ],
        diagnosis: [diag("kl_penalty_off", 0.8, ["kl_ref up with no penalty"], 10)],
        actions: [],
        recommendations: [{ kind: "rollback", to_step: 9 }],
        decisions: [{ kind: "act", reason: "kl_penalty_off at level 1" }],
      };
    // Diagnosing but no longer anomalous: still the episode.
    if (step === 14 || step === 15) v = { ...v, diagnosis: [diag("kl_penalty_off", 0.82, ["kl_ref up"], 10)] };
    if (step === 25)
      v = {
        ...v,
        anomalous: true,
        anomalies: [{ signal: "group.zero_var_share", score: 6, direction: "up", detector: "page_hinkley" }],
      };
    const values: Record<string, number> = { reward_mean: step / 30, kl_ref: step < 12 ? 0.01 : 0.2 };
    if (step >= 5) values["group.zero_var_share"] = step >= 25 ? 0.9 : 0.1;
    collector.observe({ run: "r", step }, values, v);
  }
  return collector;
}

const summary: RunSummary = {
  run: "r",
  steps: 30,
  alarm: true,
  first_alarm_step: 12,
  diagnosis: [diag("kl_penalty_off", 0.82, ["kl_ref up"], 10)],
  actions: [{ kind: "rollback", to_step: 9 }],
  lacking: ["entropy"],
};

describe("ReportCollector: what the report plots, shades and marks", () => {
  const data = collectRun().build((run) => (run === "r" ? summary : undefined), { sources: ["x.jsonl"] });
  const run = data.runs[0];

  it("plots the headline panels the run logged, and lists those it never logged", () => {
    expect(run.panels.filter((p) => p.kind === "headline").map((p) => p.id)).toEqual(["reward", "kl"]);
    expect(run.not_logged.map((n) => n.panel)).toEqual([
      "correctness",
      "entropy",
      "grad norm",
      "response length",
      "clip fraction",
      "tool errors",
    ]);
    const kl = run.panels.find((p) => p.id === "kl")!.series[0];
    expect(kl.signal).toBe("kl_ref");
    expect(kl.steps).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(kl.value[10]).toBe(0.01);
    expect(kl.value[11]).toBe(0.2);
    expect(run.summary.lacking).toEqual(["entropy"]);
  });

  it("adds a panel for each signal that moved outside the headline ones, with its curve from its first step", () => {
    const moved = run.panels.filter((p) => p.kind === "moved");
    // grad_norm is a headline signal, but the run never logged it: no panel, and it is listed as not logged.
    expect(moved.map((p) => p.id)).toEqual(["moved:group.zero_var_share"]);
    expect(moved[0].series[0].steps[0]).toBe(5);
  });

  it("shades each alarm episode from its first anomalous step to its last diagnosing one, with its onset", () => {
    expect(run.episodes.map((e) => [e.start, e.end, e.onset, e.open])).toEqual([
      [12, 15, 10, false],
      [25, 25, null, false],
    ]);
    const [first] = run.episodes;
    expect(first.anomalies.map((a) => [a.signal, a.score, a.step])).toEqual([
      ["kl_ref", 12, 12],
      ["grad_norm", 4, 13],
    ]);
    expect(first.diagnosis[0].fault).toBe("kl_penalty_off");
    expect(first.diagnosis_changes).toEqual([
      { step: 12, fault: "lr_too_high", confidence: 0.6 },
      { step: 13, fault: "kl_penalty_off", confidence: 0.8 },
    ]);
  });

  it("places each episode's diagnosis beside the panel of its most deviant signal", () => {
    expect(run.episodes[0].panels[0]).toBe("kl");
    expect(run.episodes[1].panels).toEqual(["moved:group.zero_var_share"]);
  });

  it("marks every action and recommendation at its step, worded, with the policy's reason", () => {
    expect(run.marks).toEqual([
      {
        step: 13,
        kind: "recommendation",
        action: { kind: "rollback", to_step: 9 },
        text: "rollback to 9",
        reason: "kl_penalty_off at level 1",
      },
    ]);
  });

  it("takes the monitor's summary, and builds one from the episodes for a run it does not know", () => {
    expect(run.summary).toBe(summary);
    const other = collectRun().build(() => undefined).runs[0].summary;
    expect(other).toMatchObject({ run: "r", steps: 30, alarm: true, first_alarm_step: 12 });
    expect(other.diagnosis[0].fault).toBe("kl_penalty_off");
  });

  it("keeps an open episode open at the last step", () => {
    const c = new ReportCollector();
    c.observe({ run: "o", step: 1 }, {}, quiet("o", 1));
    c.observe(
      { run: "o", step: 2 },
      {},
      {
        ...quiet("o", 2),
        anomalous: true,
        anomalies: [{ signal: "loss", score: 5, direction: "up", detector: "spike" }],
      },
    );
    expect(c.build(() => undefined).runs[0].episodes).toMatchObject([{ start: 2, end: 2, open: true }]);
  });

  it("downsamples long runs to max_points and says so", () => {
    const c = new ReportCollector({ maxPoints: 50 });
    for (let step = 0; step < 10_000; step++)
      c.observe({ run: "long", step }, { reward_mean: step % 7 }, quiet("long", step));
    const d = c.build(() => undefined);
    const series = d.runs[0].panels[0].series[0];
    expect(d.downsampled).toBe(true);
    expect(d.runs[0].downsampled).toBe(true);
    expect(series.steps.length).toBeLessThanOrEqual(50);
    expect(series.bucket_steps).toBeGreaterThan(1);
    expect(Math.min(...(series.min as number[]))).toBe(0);
    expect(Math.max(...(series.max as number[]))).toBe(6);
  });

  it("a repeated step (a resumed run) replaces the curve and the marks from it on", () => {
    const c = collectRun();
    c.observe({ run: "r", step: 11, revised: true }, { reward_mean: 5, kl_ref: 0 }, quiet("r", 11));
    const r = c.build(() => undefined).runs[0];
    const reward = r.panels.find((p) => p.id === "reward")!.series[0];
    expect(reward.steps[reward.steps.length - 1]).toBe(11);
    expect(reward.value[reward.value.length - 1]).toBe(5);
    expect(r.marks).toEqual([]);
    expect(r.episodes).toEqual([]);
  });

  it("keeps only the signals asked for, and every headline one", () => {
    const c = new ReportCollector({ keep: (s) => s === "wanted" });
    c.observe({ run: "k", step: 1 }, { wanted: 1, unwanted: 2, reward_mean: 3 }, quiet("k", 1));
    c.observe(
      { run: "k", step: 2 },
      { wanted: 1, unwanted: 2, reward_mean: 3 },
      {
        ...quiet("k", 2),
        anomalous: true,
        anomalies: [
          { signal: "wanted", score: 3, direction: "up", detector: "spike" },
          { signal: "unwanted", score: 2, direction: "up", detector: "spike" },
        ],
      },
    );
    const panels = c.build(() => undefined).runs[0].panels;
    expect(panels.map((p) => [p.id, p.series.length])).toEqual([
      ["reward", 1],
      ["moved:wanted", 1],
      ["moved:unwanted", 0],
    ]);
  });
});
