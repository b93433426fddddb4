import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { evaluateCorpus } from "../../bench/faultbench/eval.js";
import { generateCorpus } from "../../bench/faultbench/generate.js";
import { FIXTURE, FIXTURE_FINGERPRINTS, writeFixtureCorpus } from "./corpus-fixture.js";

describe("faultbench eval", () => {
  const corpus = writeFixtureCorpus();

  it("finds the planted alarms and scores the test split by the documented rules", async () => {
    const result = await evaluateCorpus({ corpus, split: "test", fingerprints: FIXTURE_FINGERPRINTS });
    expect(Object.fromEntries(result.runs.map((r) => [r.run, r.firstAlarm]))).toEqual({
      h1: null,
      h2: 21,
      f1: 16,
      f2: 13,
      f3: null,
    });
    expect(result.runs.find((r) => r.run === "f1")!.signals).toEqual(["grad_norm"]);
    const s = result.scores;
    expect([s.runs, s.faulty, s.healthy, s.false_alarm_rate]).toEqual([5, 3, 2, 0.5]);
    const all = s.groups.find((g) => g.group === "all")!;
    // TP f1; FP h2 and f2 (alarmed 7 steps before its onset); FN f2, f3.
    expect(all.detection).toEqual({ tp: 1, fp: 2, fn: 2, early: 1, precision: 1 / 3, recall: 1 / 3, f1: 1 / 3 });
    expect(all.delay).toEqual({ median: 1, p90: 1 });
    expect(all.flag_everything).toEqual({ precision: 0.6, recall: 1, f1: expect.closeTo(0.75, 12) });
    // f1 is diagnosed gradient_explosion; f2 (early) and f3 (missed) count as wrong.
    expect(all.diagnosis).toMatchObject({ type_top1: 1 / 3, family_top1: 1 / 3 });
    expect(result.runs.find((r) => r.run === "f1")!.diagnosis[0]).toMatchObject({
      fault: "gradient_explosion",
      family: "optimization_dynamics",
    });
    expect(s.groups.find((g) => g.group === "worker_failure")!.detection).toMatchObject({ tp: 0, fp: 1, fn: 1 });
    expect(result.problems).toEqual([]);
  });

  it("keeps to the chosen split", async () => {
    const all = await evaluateCorpus({ corpus, split: "all", fingerprints: FIXTURE_FINGERPRINTS });
    expect(all.runs.map((r) => [r.run, r.firstAlarm])).toEqual(
      Object.entries(FIXTURE).map(([run, f]) => [run, f.firstAlarm]),
    );
    const train = await evaluateCorpus({ corpus, split: "train", fingerprints: FIXTURE_FINGERPRINTS });
    expect(train.runs.map((r) => r.run)).toEqual(["f4"]);
    expect(train.scores.false_alarm_rate).toBeNull();
  });

  it("reports a run file that cannot be read", async () => {
    const broken = writeFixtureCorpus();
    const labels = JSON.parse(readFileSync(join(broken, "labels.json"), "utf8"));
    labels.runs.h1.file = "runs/missing.jsonl";
    writeFileSync(join(broken, "labels.json"), JSON.stringify(labels));
    const result = await evaluateCorpus({ corpus: broken, split: "test", fingerprints: FIXTURE_FINGERPRINTS });
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^h1: /);
  });

  it("evaluates a freshly generated tiny corpus end to end", async () => {
    const out = mkdtempSync(join(tmpdir(), "rftfm-faultbench-gen-"));
    const progress: number[] = [];
    const labels = await generateCorpus({
      out,
      corpus: { seeds: 1, testSeeds: 1, healthyPerSeed: 2, steps: 6, baseSeed: 0 },
      runs: 3,
      workers: 0,
      progress: (done) => progress.push(done),
    });
    expect(progress).toEqual([1, 2, 3]);
    const runs = Object.entries(labels.runs);
    expect(runs).toHaveLength(3);
    for (const [, entry] of runs) {
      expect(existsSync(join(out, entry.file))).toBe(true);
      expect(entry.final_accuracy).toBeGreaterThanOrEqual(0);
      expect(entry.split).toBe("test");
    }
    expect(JSON.parse(readFileSync(join(out, "labels.json"), "utf8"))).toEqual(labels);
    const result = await evaluateCorpus({ corpus: out, split: "test" });
    expect(result.runs.map((r) => r.run).sort()).toEqual(runs.map(([run]) => run).sort());
    expect(result.problems).toEqual([]);
    expect(result.scores.runs).toBe(3);
  });
});
