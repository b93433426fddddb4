/**
 * The benchmark's setups: what the plan of each holds, that its runs train and
 * log as the setup says (every k-th step, scalars only, a task with no tool),
 * and a small corpus of two setups generated and evaluated end to end.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DEFAULT_CORPUS, planCorpus, planSetups } from "../../bench/faultbench/corpus.js";
import { evaluateCorpus } from "../../bench/faultbench/eval.js";
import { CONFIGURATION_FAULTS, FAULT_IDS, type FaultId, HEALTHY, SEVERITIES } from "../../bench/faultbench/faults.js";
import { generateCorpus, keepRuns } from "../../bench/faultbench/generate.js";
import { layoutFor, PARAMS } from "../../bench/faultbench/model.js";
import { SETUPS, selectSetups } from "../../bench/faultbench/setups.js";
import { TASKS } from "../../bench/faultbench/task.js";
import { type RunSpec, runTraining } from "../../bench/faultbench/trainer.js";
import type { TelemetryRecord } from "../../src/index.js";

const { specs, labels } = planSetups();
const entries = Object.entries(labels.runs);
const ofSetup = (name: string) => entries.filter(([, e]) => e.setup === name);

describe("faultbench setups: the plan", () => {
  it("--runs N shares N runs between setups, each covering every fault x severity label before any twice, healthy runs in their share", () => {
    const kept = keepRuns(specs, labels, 240);
    expect(kept).toHaveLength(240);
    for (const setup of SETUPS.map((s) => s.run.name)) {
      const mine = kept.map((spec) => labels.runs[spec.id]).filter((e) => e.setup === setup);
      const planned = ofSetup(setup).map(([, e]) => e);
      expect(mine).toHaveLength(60);
      const faultyLabels = new Set(planned.filter((e) => e.fault !== HEALTHY).map((e) => `${e.fault}/${e.severity}`));
      const keptLabels = mine.filter((e) => e.fault !== HEALTHY).map((e) => `${e.fault}/${e.severity}`);
      const healthyShare = planned.filter((e) => e.fault === HEALTHY).length / planned.length;
      expect(mine.filter((e) => e.fault === HEALTHY).length).toBe(Math.round(60 * healthyShare));
      // Every label once before any label twice.
      expect(new Set(keptLabels).size).toBe(Math.min(faultyLabels.size, keptLabels.length));
      const counts = [...new Set(keptLabels)].map((l) => keptLabels.filter((k) => k === l).length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });

  it("has at least 4 setups that differ in task (one without a tool), width, batch and group, LR/KL, logging", () => {
    expect(SETUPS.length).toBeGreaterThanOrEqual(4);
    expect(Object.keys(labels.setups!)).toEqual(SETUPS.map((s) => s.run.name));
    const distinct = (f: (s: (typeof SETUPS)[number]) => unknown) =>
      new Set(SETUPS.map((s) => JSON.stringify(f(s)))).size;
    expect(distinct((s) => s.run.task)).toBeGreaterThanOrEqual(2);
    expect(SETUPS.some((s) => !TASKS[s.run.task].tool)).toBe(true);
    expect(distinct((s) => s.run.width)).toBeGreaterThanOrEqual(2);
    expect(distinct((s) => [s.hparams.prompts, s.hparams.groupSize])).toBeGreaterThanOrEqual(2);
    expect(distinct((s) => [s.lr, s.kl])).toBeGreaterThanOrEqual(2);
    expect(SETUPS.some((s) => s.run.logEvery === 1) && SETUPS.some((s) => s.run.logEvery > 1)).toBe(true);
    expect(SETUPS.some((s) => s.run.trajectories) && SETUPS.some((s) => !s.run.trajectories)).toBe(true);
  });

  it("plans every fault x severity per setup (bar the skipped ones, each with its reason) and >= 12 healthy runs", () => {
    for (const setup of SETUPS) {
      const runs = ofSetup(setup.run.name);
      const skipped = labels.setups![setup.run.name].skipped_faults;
      expect(Object.keys(skipped).sort()).toEqual(Object.keys(setup.skippedFaults).sort());
      for (const reason of Object.values(skipped)) expect(reason.length).toBeGreaterThan(0);
      for (const fault of FAULT_IDS) {
        for (const severity of SEVERITIES) {
          const n = runs.filter(([, e]) => e.fault === fault && e.severity === severity).length;
          if (fault in skipped) expect(n).toBe(0);
          else expect(n).toBeGreaterThanOrEqual(1);
        }
      }
      expect(runs.filter(([, e]) => e.fault === HEALTHY).length).toBeGreaterThanOrEqual(12);
      // Both splits, by seed.
      expect(new Set(runs.map(([, e]) => e.split))).toEqual(new Set(["train", "test"]));
    }
  });

  it("names the setup in every label, run id and file; ids are unique across setups", () => {
    expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
    for (const setup of SETUPS) {
      for (const [run, e] of ofSetup(setup.run.name)) {
        expect(run.startsWith(setup.idPrefix)).toBe(true);
        expect(e.file).toBe(`runs/${run}.jsonl.gz`);
        const spec = specs.find((s) => s.id === run)!;
        // Setup a trains as before setups (no setup in its spec); the others carry theirs.
        expect(spec.setup ?? SETUPS[0].run).toEqual(setup.run);
        expect([spec.hparams.prompts, spec.hparams.groupSize]).toEqual([
          setup.hparams.prompts ?? 8,
          setup.hparams.groupSize ?? 8,
        ]);
      }
    }
    for (const prefix of SETUPS.slice(1).map((s) => s.idPrefix)) expect(prefix).not.toBe("");
  });

  it("keeps twins and onsets per setup: a faulty run shares its matched healthy run's seed, settings and setup", () => {
    for (const [, e] of entries) {
      if (e.fault === HEALTHY) continue;
      const twin = labels.runs[e.matched_healthy];
      expect(twin.fault).toBe(HEALTHY);
      expect([twin.setup, twin.seed, twin.hparams]).toEqual([e.setup, e.seed, e.hparams]);
      if (CONFIGURATION_FAULTS.has(e.fault)) expect(e.onset).toBe(0);
      else {
        expect(e.onset).toBeGreaterThanOrEqual(Math.round(0.25 * e.steps));
        expect(e.onset).toBeLessThanOrEqual(Math.round(0.7 * e.steps));
      }
    }
  });

  it("draws each setup's healthy LR and KL from its own ranges", () => {
    for (const setup of SETUPS) {
      for (const [, e] of ofSetup(setup.run.name)) {
        expect(e.hparams.lr).toBeGreaterThanOrEqual(setup.lr[0]);
        expect(e.hparams.lr).toBeLessThanOrEqual(setup.lr[1]);
        expect(e.hparams.klCoef).toBeGreaterThanOrEqual(setup.kl[0]);
        expect(e.hparams.klCoef).toBeLessThanOrEqual(setup.kl[1]);
      }
    }
  });

  it("plans setup a alone as the corpus of before setups", () => {
    const a = planSetups({ setups: ["a"] });
    expect(a.specs).toEqual(planCorpus(DEFAULT_CORPUS).specs);
    expect(Object.keys(a.labels.setups!)).toEqual(["a"]);
  });

  it("refuses an unknown setup name, naming the known ones", () => {
    expect(() => selectSetups(["a", "zz"])).toThrow(/unknown zz \(known: a, b, c, d\)/);
  });
});

/** Trains a spec and returns its telemetry records. */
function train(spec: RunSpec): TelemetryRecord[] {
  const records: TelemetryRecord[] = [];
  runTraining(spec, (r) => records.push(r));
  return records;
}

describe("faultbench setups: training and logging", () => {
  it("sizes the model by the setup's width", () => {
    expect(layoutFor(64).size).toBe(PARAMS);
    expect(layoutFor(32).size).toBeLessThan(PARAMS / 1.9);
  });

  it.each(SETUPS.slice(1).map((s) => s.run.name))(
    "setup %s: a mid-run fault's run is its twin before onset",
    (name) => {
      const setup = selectSetups([name])[0];
      const healthy = specs.find((s) => s.id === `${setup.idPrefix}s${setup.seedOffset + 1}-healthy-0`)!;
      const fault: FaultId = "reward_noise";
      const onset = 6;
      const steps = 10;
      const base = { ...healthy, steps };
      const clean = train(base);
      const faulty = train({ ...base, fault: { fault, severity: "severe", onset } });
      const beforeOnset = (rs: TelemetryRecord[]) => rs.filter((r) => r.kind !== "event" && r.step < onset);
      const fromOnset = (rs: TelemetryRecord[]) => rs.filter((r) => r.kind === "step" && r.step >= onset);
      expect(beforeOnset(clean).length).toBeGreaterThan(0);
      expect(beforeOnset(faulty)).toEqual(beforeOnset(clean));
      expect(fromOnset(faulty)).not.toEqual(fromOnset(clean));
    },
  );
});

const readRecords = (file: string) =>
  gunzipSync(readFileSync(file))
    .toString("utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));

describe("faultbench setups: a small corpus of two setups, end to end", () => {
  it("generates setups b and c, logs as each says, and evaluates per setup and restricted to one", async () => {
    const out = mkdtempSync(join(tmpdir(), "rftfm-faultbench-setups-"));
    const steps = 10;
    const generated = await generateCorpus({ out, setups: ["b", "c"], steps, runs: 4, workers: 0 });
    expect(Object.keys(generated.setups!)).toEqual(["b", "c"]);
    expect(JSON.parse(readFileSync(join(out, "labels.json"), "utf8"))).toEqual(generated);
    const runs = Object.entries(generated.runs);
    expect(runs.filter(([, e]) => e.setup === "b")).toHaveLength(2);
    expect(runs.filter(([, e]) => e.setup === "c")).toHaveLength(2);
    for (const [run, entry] of runs) {
      expect(existsSync(join(out, entry.file))).toBe(true);
      const records = readRecords(join(out, entry.file));
      const stepsLogged = records.filter((r) => r.kind === "step").map((r) => r.step);
      const tensors = records.filter((r) => r.kind === "trajectories");
      if (entry.setup === "c") {
        // Every 5th step, step scalars only.
        expect(stepsLogged).toEqual([5, 10]);
        expect(tensors).toEqual([]);
      } else {
        // Every step with its tensor; a task with no tool logs no tool columns.
        expect(stepsLogged).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
        expect(tensors.map((r) => r.step)).toEqual(stepsLogged);
        for (const t of tensors) expect(Object.keys(t.columns)).not.toContain("tool_calls");
        for (const r of records.filter((r) => r.kind === "step"))
          expect(r.metrics).not.toHaveProperty("tool_error_rate");
      }
      expect(records.every((r) => r.run === run)).toBe(true);
    }

    const all = await evaluateCorpus({ corpus: out, split: "all" });
    expect(all.scores.runs).toBe(4);
    expect(Object.keys(all.by_setup!).sort()).toEqual(["b", "c"]);
    expect(all.by_setup!.b.runs + all.by_setup!.c.runs).toBe(4);
    expect(all.problems).toEqual([]);

    const onlyC = await evaluateCorpus({ corpus: out, split: "all", setups: ["c"] });
    expect(onlyC.runs.map((r) => r.setup)).toEqual(["c", "c"]);
    expect(onlyC.by_setup).toBeUndefined();
    await expect(evaluateCorpus({ corpus: out, split: "all", setups: ["d"] })).rejects.toThrow(/setups d/);
  }, 60_000);
});
