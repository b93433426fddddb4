/**
 * Leave-one-setup-out evaluation on a small generated corpus of two setups
 * (b and d, 12 steps; per setup: the 6 healthy runs of its first corpus seed
 * and two severe faults of that seed, one mid-run and one from step 0).
 * learnFingerprints and calibrate are wrapped to record what they are given:
 * which runs learning considers (its `include` is called for every run it
 * keeps after the setup filter, and only those are read: test/monitor/learn
 * shows it) and which files the calibration reads.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { registerBenchCommands } from "../../bench/cli/index.js";
import { renderLoso } from "../../bench/cli/report.js";
import type { Labels } from "../../bench/faultbench/corpus.js";
import { CONFIGURATION_FAULTS, FAULT_IDS, HEALTHY } from "../../bench/faultbench/faults.js";
import { generateCorpus } from "../../bench/faultbench/generate.js";
import { evaluateLeaveOneSetupOut, type LosoResult } from "../../bench/faultbench/loso.js";
import { CLI_TOOLS } from "../../src/cli/bench.js";

const calls = vi.hoisted(() => ({
  learnt: [] as { setups: readonly string[] | undefined; considered: string[] }[],
  calibrated: [] as string[][],
}));

vi.mock("../../src/index.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/index.js")>();
  return {
    ...real,
    learnFingerprints: (options: Parameters<typeof real.learnFingerprints>[0]) => {
      const call = { setups: options.setups, considered: [] as string[] };
      calls.learnt.push(call);
      return real.learnFingerprints({
        ...options,
        include: (id, entry) => {
          call.considered.push(id);
          return options.include?.(id, entry) ?? true;
        },
      });
    },
    calibrate: (files: readonly string[], options: Parameters<typeof real.calibrate>[1]) => {
      calls.calibrated.push([...files]);
      return real.calibrate(files, options);
    },
  };
});

const MID_RUN = FAULT_IDS.find((f) => !CONFIGURATION_FAULTS.has(f))!;
const STEP_0 = [...CONFIGURATION_FAULTS][0];

describe("faultbench eval --leave-one-setup-out", () => {
  const out = mkdtempSync(join(tmpdir(), "rftfm-loso-"));
  let labels: Labels;
  let result: LosoResult;
  const ofSetup = (setup: string) => Object.entries(labels.runs).filter(([, e]) => e.setup === setup);

  beforeAll(async () => {
    const firstSeed = new Map<string, number>();
    labels = await generateCorpus({
      out,
      setups: ["b", "d"],
      steps: 12,
      workers: 0,
      include: (_id, e) => {
        const seed = firstSeed.get(e.setup!) ?? e.corpus_seed;
        firstSeed.set(e.setup!, seed);
        return (
          e.corpus_seed === seed &&
          (e.fault === HEALTHY || (e.severity === "severe" && (e.fault === MID_RUN || e.fault === STEP_0)))
        );
      },
    });
    result = await evaluateLeaveOneSetupOut({ corpus: out });
  }, 60_000);

  it("holds out each setup in turn and reports both modes per setup and overall", () => {
    expect(result.setups.map((r) => r.setup)).toEqual(["b", "d"]);
    for (const r of result.setups) {
      expect(r.learnt_from).toEqual([r.setup === "b" ? "d" : "b"]);
      for (const mode of ["zero_shot", "calibrated"] as const) {
        // 6 healthy runs, 3 calibrated on; 2 faulty runs.
        expect(r[mode].scores.healthy).toBe(3);
        expect(r[mode].scores.faulty).toBe(2);
        expect(r[mode].runs.every((run) => run.setup === r.setup && typeof run.actions === "number")).toBe(true);
        const missed = r[mode].runs.filter(
          (run) => run.fault !== HEALTHY && (run.firstAlarm === null || run.firstAlarm < run.onset!),
        );
        expect(r[mode].misses.map((m) => m.run)).toEqual(missed.map((run) => run.run));
      }
    }
    for (const mode of ["zero_shot", "calibrated"] as const) {
      expect(result.overall[mode].scores.healthy).toBe(6);
      expect(result.overall[mode].scores.faulty).toBe(4);
    }
  });

  it("learns each time from the other setup's runs only: the held setup's runs are never considered", () => {
    expect(calls.learnt.map((c) => c.setups)).toEqual([["d"], ["b"]]);
    for (const [i, held] of ["b", "d"].entries()) {
      const other = held === "b" ? "d" : "b";
      expect(calls.learnt[i].considered.sort()).toEqual(
        ofSetup(other)
          .map(([id]) => id)
          .sort(),
      );
      expect(result.setups[i].learnt).toEqual({ healthy_runs: 6, faulty_runs: 2 });
    }
  });

  it("calibrates on the held setup's first 3 healthy runs by id, and judges them in neither mode", () => {
    for (const [i, held] of ["b", "d"].entries()) {
      const healthy = ofSetup(held)
        .filter(([, e]) => e.fault === HEALTHY)
        .map(([id]) => id)
        .sort();
      const chosen = healthy.slice(0, 3);
      expect(result.setups[i].calibration_runs).toEqual(chosen);
      expect(calls.calibrated[i]).toEqual(chosen.map((id) => join(out, labels.runs[id].file)));
      for (const mode of ["zero_shot", "calibrated"] as const) {
        const judged = result.setups[i][mode].runs.map((r) => r.run);
        expect(judged.filter((id) => chosen.includes(id))).toEqual([]);
        expect(judged.filter((id) => healthy.includes(id)).sort()).toEqual(healthy.slice(3));
      }
    }
  });

  it("refuses an unknown held setup, naming the corpus's setups", async () => {
    await expect(evaluateLeaveOneSetupOut({ corpus: out, setups: ["z"] })).rejects.toThrow(/setup z .*b, d/);
  });

  it("renders a row per setup and mode plus overall, and names every miss", () => {
    const text = renderLoso(result, CLI_TOOLS);
    for (const setup of ["b", "d", "overall"])
      for (const mode of ["zero-shot", "calibrated"])
        expect(text).toMatch(new RegExp(`^\\W*${setup}\\W+${mode}\\W`, "m"));
    for (const r of result.setups)
      for (const m of [...r.zero_shot.misses, ...r.calibrated.misses]) expect(text).toContain(m.run);
  });

  it("the CLI refuses --zero-shot, --fingerprints or --split with --leave-one-setup-out", async () => {
    const program = new Command().exitOverride();
    registerBenchCommands(program, CLI_TOOLS);
    for (const cmd of program.commands) for (const sub of cmd.commands) sub.exitOverride();
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      await expect(
        program.parseAsync(["faultbench", "eval", "--corpus", out, "--leave-one-setup-out", "--zero-shot"], {
          from: "user",
        }),
      ).rejects.toThrow(/--zero-shot do not apply/);
    } finally {
      stderr.mockRestore();
    }
  });
});
