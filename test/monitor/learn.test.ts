import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../../bench/random.js";
import {
  type FingerprintSet,
  FingerprintSetError,
  formatFingerprintSet,
  type LearnReport,
  learnFingerprints,
  Monitor,
  parseFingerprintSet,
  readFingerprintSet,
  type StepInput,
} from "../../src/index.js";

/**
 * A tiny labelled corpus in the canonical telemetry format (step records only):
 * healthy runs with mildly noisy metrics, and two fault types planted from
 * their onset. The patterns are the fingerprints learning must find.
 */
type Plant = "healthy" | "lr_too_high" | "tool_failure" | "nan_inf";

function plantedRun(seed: number, steps: number, plant: Plant, onset: number): Record<string, number>[] {
  const rng = seededRandom(seed);
  const out: Record<string, number>[] = [];
  for (let t = 0; t < steps; t++) {
    const m: Record<string, number> = {
      reward_mean: 0.3 + (0.4 * t) / steps + 0.03 * rng.normal(),
      kl_ref: Math.abs(0.01 + 0.002 * t + 0.002 * rng.normal()),
      entropy: 1.5 - 0.01 * t + 0.03 * rng.normal(),
      loss: 0.05 * rng.normal(),
      grad_norm: Math.abs(1 + 0.1 * rng.normal()),
      tool_error_rate: Math.max(0, 0.02 + 0.005 * rng.normal()),
    };
    if (t >= onset) {
      if (plant === "lr_too_high") {
        m.grad_norm *= 10;
        m.kl_ref *= 10;
      } else if (plant === "tool_failure") {
        m.tool_error_rate = 0.8 + 0.02 * rng.normal();
      } else if (plant === "nan_inf") {
        m.loss = NaN;
      }
    }
    out.push(m);
  }
  return out;
}

const asInputs = (run: string, metrics: Record<string, number>[]): StepInput[] =>
  metrics.map((m, step) => ({ run, step, metrics: m }));

function writeCorpus(dir: string): void {
  mkdirSync(join(dir, "runs"));
  const runs: Record<string, { file: string; fault: string; split: string; onset: number | null }> = {};
  const add = (id: string, plant: Plant, split: string, seed: number, steps: number, onset: number | null) => {
    const file = `runs/${id}.jsonl`;
    const lines = plantedRun(seed, steps, plant, onset ?? Infinity).map((metrics, step) =>
      // JSON has no NaN: telemetry.md writes it as the string "NaN".
      JSON.stringify({ kind: "step", run: id, step, metrics }, (_, v) =>
        typeof v === "number" && !Number.isFinite(v) ? String(v) : v,
      ),
    );
    writeFileSync(join(dir, file), `${lines.join("\n")}\n`);
    runs[id] = { file, fault: plant, split, onset };
  };
  // 8 healthy runs, one longer than the rest (so the prior's last buckets have too few values: null in the file).
  for (let i = 0; i < 8; i++) add(`healthy-${i}`, "healthy", "train", 100 + i, i === 0 ? 45 : 40, null);
  [15, 18, 21].forEach((onset, i) => {
    add(`lr-${i}`, "lr_too_high", "train", 200 + i, 40, onset);
  });
  [14, 19, 22].forEach((onset, i) => {
    add(`tool-${i}`, "tool_failure", "train", 300 + i, 40, onset);
  });
  // Test split: learning on "train" must not read these (a fault of its own, and a healthy run far off).
  add("test-nan", "nan_inf", "test", 400, 40, 20);
  add("test-healthy", "healthy", "test", 401, 40, null);
  writeFileSync(join(dir, "labels.json"), JSON.stringify({ version: 1, runs }, null, 1));
}

let dir: string;
let report: LearnReport;
let set: FingerprintSet;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rftfm-learn-"));
  writeCorpus(dir);
  report = await learnFingerprints({ corpus: dir, split: "train" });
  set = report.set;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const centroidOf = (fault: string) => {
  const f = set.fingerprints.find((x) => x.fault === fault)!;
  return set.signals.map((name, i) => ({ name, v: f.centroid[i] })).sort((a, b) => Math.abs(b.v) - Math.abs(a.v));
};

describe("learnFingerprints on a tiny planted corpus", () => {
  it("reads only the train split and learns one fingerprint per fault type from every faulty run", () => {
    expect(report.healthyRuns).toBe(8);
    expect(report.faultyRuns).toBe(6);
    expect(report.silentRuns).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(set.source).toEqual({ corpus: dir, split: "train", runs: 14, healthy: 8 });
    // Only what healthy runs reported, in the candidates' order; no tensor, so no tensor signal.
    expect(set.signals).toEqual(["reward_mean", "kl_ref", "entropy", "loss", "grad_norm", "tool_error_rate"]);
    expect(set.fingerprints.map((f) => [f.fault, f.family, f.runs])).toEqual([
      ["lr_too_high", "optimization_dynamics", 3],
      ["tool_failure", "tool_environment", 3],
    ]);
    for (const f of set.fingerprints) {
      const norm = Math.hypot(...f.centroid.filter(Number.isFinite));
      expect(norm).toBeCloseTo(1, 12);
    }
    expect(set.prior!.buckets).toBe(45);
    expect(set.temperature).toBeGreaterThan(0);
  });

  it("puts each fingerprint's largest centroid entries on the planted signals, with the planted sign", () => {
    const lr = centroidOf("lr_too_high");
    expect(
      lr
        .slice(0, 2)
        .map((e) => e.name)
        .sort(),
    ).toEqual(["grad_norm", "kl_ref"]);
    expect(lr[0].v).toBeGreaterThan(0.5);
    expect(lr[1].v).toBeGreaterThan(0.5);
    expect(Math.abs(lr[2].v)).toBeLessThan(0.25);
    const tool = centroidOf("tool_failure");
    expect(tool[0].name).toBe("tool_error_rate");
    expect(tool[0].v).toBeGreaterThan(0.9);
    expect(Math.abs(tool[1].v)).toBeLessThan(0.25);
  });

  it("learns healthy noise and a prior that match the generator", () => {
    const at = (name: string) => set.signals.indexOf(name);
    // grad_norm: N(1, 0.1) at every step: step-to-step noise about 0.1, prior center 1.
    expect(set.noise[at("grad_norm")]).toBeGreaterThan(0.07);
    expect(set.noise[at("grad_norm")]).toBeLessThan(0.16);
    expect(set.prior!.center[at("grad_norm")][20]).toBeCloseTo(1, 1);
    // reward_mean rises from 0.3 to 0.7 over 40 steps: the prior follows it.
    expect(set.prior!.center[at("reward_mean")][0]).toBeCloseTo(0.3, 1);
    expect(set.prior!.center[at("reward_mean")][38]).toBeCloseTo(0.68, 1);
    // Only the longer healthy run reaches steps 41-44: too few values for a reference.
    expect(set.prior!.center[at("grad_norm")].slice(42).map(Number.isNaN)).toEqual([false, true, true]);
  });

  it.each(["lr_too_high", "tool_failure"] as const)(
    "a monitor with the learnt set diagnoses a fresh planted %s run top-1",
    (fault) => {
      const monitor = new Monitor({ fingerprints: set, policy: false, onError: (m) => expect.fail(m) });
      const healthy = new Monitor({ fingerprints: set, policy: false });
      const onset = 17;
      const verdicts = asInputs("fresh", plantedRun(900, 40, fault, onset)).map((i) => monitor.observe(i));
      // The same seed without the fault: nothing.
      const quiet = asInputs("fresh", plantedRun(900, 40, "healthy", Infinity)).map((i) => healthy.observe(i));
      expect(quiet.filter((v) => v.anomalous).map((v) => v.step)).toEqual([]);
      expect(verdicts.slice(0, onset).some((v) => v.anomalous)).toBe(false);
      expect(verdicts[onset].anomalous).toBe(true);
      const settled = verdicts[onset + set.detection.window - 1];
      expect(settled.diagnosis[0].fault).toBe(fault);
      expect(monitor.summary("fresh")!.diagnosis[0].fault).toBe(fault);
      expect(monitor.summary("fresh")!.first_alarm_step).toBe(onset);
    },
  );

  it("learns from every split with split 'all' (the test split's nan_inf run adds its fingerprint)", async () => {
    const all = await learnFingerprints({ corpus: dir, split: "all" });
    expect([all.healthyRuns, all.faultyRuns]).toEqual([9, 7]);
    expect(all.set.fingerprints.map((f) => f.fault)).toEqual(["lr_too_high", "nan_inf", "tool_failure"]);
    await expect(learnFingerprints({ corpus: dir, split: "validation" })).rejects.toThrow(
      'no run of split "validation"',
    );
  });
});

describe("fingerprint set documents", () => {
  it("round-trips through formatFingerprintSet / parseFingerprintSet and a file", () => {
    const text = formatFingerprintSet(set);
    const parsed = parseFingerprintSet(JSON.parse(text));
    // Six significant digits in the file; the format is then a fixed point.
    expect(formatFingerprintSet(parsed)).toBe(text);
    expect(parsed.signals).toEqual(set.signals);
    expect(parsed.detection).toEqual(set.detection);
    expect(parsed.fingerprints.map((f) => [f.fault, f.family, f.runs])).toEqual(
      set.fingerprints.map((f) => [f.fault, f.family, f.runs]),
    );
    const close = (a: number[], b: number[]) =>
      a.forEach((x, i) => {
        Number.isNaN(b[i]) ? expect(x).toBeNaN() : expect(x).toBeCloseTo(b[i], 5);
      });
    close(parsed.noise, set.noise);
    parsed.fingerprints.forEach((f, i) => {
      close(f.centroid, set.fingerprints[i].centroid);
    });
    parsed.prior!.center.forEach((row, s) => {
      close(row, set.prior!.center[s]);
    });
    // No-reference cells are null in the file and NaN again after parsing.
    expect(text).toContain("null");
    expect(parsed.prior!.scale[set.signals.indexOf("grad_norm")][44]).toBeNaN();

    const path = join(dir, "learnt.json");
    writeFileSync(path, text);
    expect(formatFingerprintSet(readFingerprintSet(path))).toBe(text);
    // A monitor takes the path, and judges exactly as with the parsed set.
    const run = asInputs("r", plantedRun(901, 30, "tool_failure", 12));
    const fromPath = new Monitor({ fingerprints: path, policy: false });
    const fromParsed = new Monitor({ fingerprints: parsed, policy: false });
    expect(run.map((i) => fromPath.observe(i))).toEqual(run.map((i) => fromParsed.observe(i)));
  });

  const doc = () => JSON.parse(formatFingerprintSet(set));
  const problem = (d: unknown, source?: string): string => {
    try {
      parseFingerprintSet(d, source);
    } catch (e) {
      expect(e).toBeInstanceOf(FingerprintSetError);
      return (e as Error).message;
    }
    throw new Error("expected parseFingerprintSet to reject the document");
  };

  // A fingerprint document spoilt one field at a time: any shape may be written into it.
  // biome-ignore lint/suspicious/noExplicitAny: the tests write values of every wrong type into the document
  type Doc = any;
  const spoilWith = (change: (d: Doc) => void) => (d: Doc) => {
    change(d);
    return d;
  };

  it.each([
    ["not an object", () => 42, "fingerprints: (document): not a JSON object"],
    [
      "the wrong format",
      (d: Doc) => ({ ...d, format: "rftfm-monitor" }),
      'fingerprints: format: expected "rftfm-fingerprints", got "rftfm-monitor"',
    ],
    ["another version", (d: Doc) => ({ ...d, version: 2 }), "fingerprints: version: expected 1, got 2"],
    [
      "no signals",
      (d: Doc) => ({ ...d, signals: [] }),
      "fingerprints: signals: expected a non-empty array of signal names",
    ],
    [
      "a negative noise entry",
      spoilWith((d) => {
        d.noise[2] = -1;
      }),
      "fingerprints: noise[2]: bad value -1",
    ],
    [
      "a missing noise entry",
      spoilWith((d) => {
        d.noise[1] = null;
      }),
      "fingerprints: noise[1]: bad value null",
    ],
    [
      "a string noise entry",
      spoilWith((d) => {
        d.noise[0] = "0.1";
      }),
      'fingerprints: noise[0]: bad value "0.1"',
    ],
    [
      "a short noise vector",
      spoilWith((d) => {
        d.noise = d.noise.slice(1);
      }),
      "fingerprints: noise: expected 6 numbers (one per signal)",
    ],
    [
      "a missing weight",
      spoilWith((d) => {
        d.weights[3] = null;
      }),
      "fingerprints: weights[3]: bad value null",
    ],
    [
      "a prior row short of buckets",
      spoilWith((d) => {
        d.prior.center[4] = [1];
      }),
      "fingerprints: prior.center[4]: expected 45 values (one per bucket)",
    ],
    [
      "zero buckets",
      spoilWith((d) => {
        d.prior.buckets = 0;
      }),
      "fingerprints: prior.buckets: expected an integer >= 1",
    ],
    [
      "a zero window",
      spoilWith((d) => {
        d.detection.window = 0;
      }),
      "fingerprints: detection.window: expected a positive number",
    ],
    [
      "no temperature",
      spoilWith((d) => {
        d.temperature = undefined;
      }),
      "fingerprints: temperature: expected a positive number",
    ],
    [
      "an unknown fault id",
      spoilWith((d) => {
        d.fingerprints[1].fault = "lr_too_low";
      }),
      'fingerprints: fingerprints[1].fault: unknown fault id "lr_too_low"',
    ],
    [
      "a prototype key as fault id",
      spoilWith((d) => {
        d.fingerprints[0].fault = "constructor";
      }),
      'fingerprints: fingerprints[0].fault: unknown fault id "constructor"',
    ],
    [
      "a null fingerprint",
      spoilWith((d) => {
        d.fingerprints[0] = null;
      }),
      "fingerprints: fingerprints[0].fault: unknown fault id undefined",
    ],
    [
      "a short centroid",
      spoilWith((d) => {
        d.fingerprints[0].centroid = [1, 0];
      }),
      "fingerprints: fingerprints[0].centroid: expected 6 numbers (one per signal)",
    ],
    [
      "fingerprints not an array",
      spoilWith((d) => {
        d.fingerprints = {};
      }),
      "fingerprints: fingerprints: expected an array",
    ],
  ])("rejects %s, naming the field", (_, spoil, message) => {
    expect(problem(spoil(doc()))).toBe(message);
  });

  it("names the source it read", () => {
    expect(problem({ ...doc(), format: 1 }, "mine.json")).toBe(
      'mine.json: format: expected "rftfm-fingerprints", got 1',
    );
    const path = join(dir, "broken.json");
    writeFileSync(path, "{ not json");
    expect(() => readFingerprintSet(path)).toThrow(FingerprintSetError);
    expect(() => readFingerprintSet(path)).toThrow(`${path}: (document): `);
  });
});

describe("learnFingerprints with a setup filter", () => {
  let setupDir: string;
  beforeAll(() => {
    setupDir = mkdtempSync(join(tmpdir(), "rftfm-learn-setups-"));
    writeCorpus(setupDir);
    const labels = JSON.parse(readFileSync(join(setupDir, "labels.json"), "utf8"));
    for (const entry of Object.values<{ setup?: string }>(labels.runs)) entry.setup = "a";
    // The held setup's runs name files that do not exist: reading any of them would be a problem or a throw.
    labels.runs["held-healthy"] = { file: "runs/missing-1.jsonl", fault: "healthy", split: "train", setup: "held" };
    labels.runs["held-lr"] = {
      file: "runs/missing-2.jsonl",
      fault: "lr_too_high",
      split: "train",
      onset: 3,
      setup: "held",
    };
    writeFileSync(join(setupDir, "labels.json"), JSON.stringify(labels));
  });
  afterAll(() => {
    if (setupDir) rmSync(setupDir, { recursive: true, force: true });
  });

  it("never reads the runs of a setup left out", async () => {
    const read: string[] = [];
    const learnt = await learnFingerprints({
      corpus: setupDir,
      setups: ["a"],
      progress: (_done, _total, run) => read.push(run),
    });
    expect(learnt.problems).toEqual([]);
    expect(learnt.healthyRuns).toBe(8);
    expect(learnt.faultyRuns).toBe(6);
    expect(read.some((run) => run.startsWith("held-"))).toBe(false);
    expect(learnt.set.source.setups).toEqual(["a"]);
  });

  it("include() leaves runs out the same way, and a filter that keeps nothing is an error naming it", async () => {
    const learnt = await learnFingerprints({ corpus: setupDir, include: (_id, e) => e.setup !== "held" });
    expect(learnt.problems).toEqual([]);
    expect(learnt.healthyRuns).toBe(8);
    await expect(learnFingerprints({ corpus: setupDir, setups: ["nowhere"] })).rejects.toThrow(/setups nowhere/);
  });
});
