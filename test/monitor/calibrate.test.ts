import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type Calibration,
  CalibrationError,
  calibrate,
  calibratedSet,
  defaultFingerprintSet,
  formatCalibration,
  Monitor,
  type MonitorOptions,
  parseCalibration,
  readCalibration,
  type StepInput,
} from "../../src/index.js";
import { spreadWidening } from "../../src/monitor/chi-square.js";
import { setupRun, writeRun } from "./setup-runs.js";

const tmp = () => mkdtempSync(join(tmpdir(), "rftfm-calibrate-"));

/** Writes healthy runs of the setup (seeds given) and returns their paths. */
function healthyFiles(dir: string, seeds: readonly number[], options: Parameters<typeof setupRun>[2] = {}): string[] {
  return seeds.map((seed) => writeRun(dir, setupRun(`healthy-${seed}`, seed, options)));
}

/** The first alarm's step of a run judged by a fresh monitor, or null. */
function firstAlarm(steps: readonly StepInput[], options: MonitorOptions): number | null {
  const monitor = new Monitor({ ...options, policy: false, maxRuns: 1 });
  try {
    return monitor.observeBatch(steps).find((v) => v.anomalous)?.step ?? null;
  } finally {
    monitor.close();
  }
}

describe("spreadWidening", () => {
  it("is the 95% upper bound of a standard deviation from the chi-square quantile", () => {
    // sqrt(dof / q05): q05 of chi-square(2) = -2 ln 0.95 exactly; 4 dof from tables (0.7107).
    expect(spreadWidening(2)).toBeCloseTo(Math.sqrt(2 / (-2 * Math.log(0.95))), 6);
    expect(spreadWidening(4)).toBeCloseTo(Math.sqrt(4 / 0.710723), 3);
    expect(spreadWidening(30)).toBeLessThan(spreadWidening(10));
  });
});

describe("calibrate", () => {
  it("learns a prior per signal and bucket from healthy runs, and says what it used", async () => {
    const dir = tmp();
    const files = healthyFiles(dir, [1, 2, 3]);
    const c = await calibrate(files, { source: { setup: "made-up" } });
    expect(c.runs).toBe(3);
    expect(c.steps).toBe(180);
    expect(c.source).toMatchObject({ setup: "made-up", files });
    // The runs report these metrics of the shipped set, and nothing else.
    expect([...c.signals].sort()).toEqual(
      ["entropy", "grad_norm", "kl_ref", "num_trajectories", "response_length_mean", "reward_mean"].sort(),
    );
    // 60 steps of one every step: a bucket per step (48 buckets of the median length would be narrower).
    expect(c.prior.width).toBe(1);
    expect(c.prior.buckets).toBe(60);
    const kl = c.signals.indexOf("kl_ref");
    // KL grows over training: the center follows it.
    expect(c.prior.center[kl][50]).toBeGreaterThan(5 * c.prior.center[kl][5]);
    for (const row of c.prior.scale) for (const s of row) expect(s).toBeGreaterThan(0);
  });

  it("cuts a long run into about 48 buckets, never narrower than the logging cadence", async () => {
    const dir = tmp();
    const long = await calibrate(healthyFiles(dir, [1, 2], { steps: 960 }));
    expect(long.prior.width).toBe(20);
    expect(long.prior.buckets).toBe(48);
    const sparse = await calibrate(healthyFiles(tmp(), [1, 2], { steps: 60, every: 4 }));
    expect(sparse.prior.width).toBe(4);
  });

  it("refuses runs that report different signals, naming the run and the signal", async () => {
    const dir = tmp();
    const [a, b] = healthyFiles(dir, [1, 2]);
    const odd = writeRun(dir, setupRun("odd", 3, { without: ["kl_ref"] }));
    await expect(calibrate([a, b, odd])).rejects.toThrow(CalibrationError);
    await expect(calibrate([a, b, odd])).rejects.toThrow(new RegExp(`${odd}.*lacks kl_ref`));
  });

  it("refuses runs whose lengths or cadences are more than a factor 2 apart", async () => {
    const dir = tmp();
    const short = writeRun(dir, setupRun("short", 1, { steps: 20 }), "short.jsonl");
    const long = writeRun(dir, setupRun("long", 2, { steps: 60 }), "long.jsonl");
    await expect(calibrate([short, long])).rejects.toThrow(/long\.jsonl.*length is 60 steps against 20.*factor 2/);
    const sparse = writeRun(dir, setupRun("sparse", 3, { steps: 60, every: 5 }), "sparse.jsonl");
    await expect(calibrate([long, sparse])).rejects.toThrow(/sparse\.jsonl.*logs every 5 steps against 1/);
  });

  it("refuses runs whose magnitudes are more than a factor 10 apart", async () => {
    const dir = tmp();
    const [a, b] = healthyFiles(dir, [1, 2]);
    const big = writeRun(dir, setupRun("big", 3, { scale: 30 }), "big.jsonl");
    await expect(calibrate([a, b, big])).rejects.toThrow(/big\.jsonl.*its kl_ref is .* factor 10/);
  });

  it("refuses no files and a file without steps", async () => {
    await expect(calibrate([])).rejects.toThrow(/no files given/);
    const empty = join(tmp(), "empty.jsonl");
    writeFileSync(empty, "");
    await expect(calibrate([empty])).rejects.toThrow(new RegExp(`${empty}: no steps`));
  });

  it("names each run of a file that holds several", async () => {
    const dir = tmp();
    const both = [...setupRun("one", 1), ...setupRun("two", 2, { without: ["entropy"] })];
    const file = writeRun(dir, both, "both.jsonl");
    await expect(calibrate([file])).rejects.toThrow(/both\.jsonl \(run two\).*lacks entropy.*both\.jsonl \(run one\)/);
  });
});

describe("calibration file", () => {
  it("round-trips through its JSON text, NaN as null", async () => {
    const c = await calibrate(healthyFiles(tmp(), [1, 2, 3], { steps: 30, every: 2 }));
    c.prior.center[0][3] = NaN;
    c.prior.scale[0][3] = NaN;
    const text = formatCalibration(c);
    expect(text).toContain("null");
    const back = parseCalibration(JSON.parse(text));
    expect(back.signals).toEqual(c.signals);
    expect(back.prior.width).toBe(c.prior.width);
    expect(back.prior.center[0][3]).toBeNaN();
    for (const [s, row] of back.prior.center.entries()) {
      for (const [b, v] of row.entries()) if (!Number.isNaN(v)) expect(v).toBeCloseTo(c.prior.center[s][b], 4);
    }
    const path = join(tmp(), "setup.json");
    writeFileSync(path, text);
    expect(readCalibration(path).noise).toEqual(back.noise);
  });

  it("names the path and the field of what is wrong", async () => {
    const c = await calibrate(healthyFiles(tmp(), [1, 2]));
    const doc = JSON.parse(formatCalibration(c));
    const path = join(tmp(), "bad.json");
    writeFileSync(path, JSON.stringify({ ...doc, prior: { ...doc.prior, width: 0 } }));
    expect(() => readCalibration(path)).toThrow(new RegExp(`${path}: prior\\.width: expected an integer >= 1`));
    expect(() => parseCalibration({ ...doc, noise: [1] }, "x")).toThrow(/x: noise: expected \d+ numbers/);
    expect(() => parseCalibration({ ...doc, format: "rftfm-fingerprints" })).toThrow(/format/);
    expect(() => readCalibration(join(tmp(), "missing.json"))).toThrow(CalibrationError);
  });
});

describe("Monitor({ calibration })", () => {
  const calibrationOf = async (seeds: number[], options: Parameters<typeof setupRun>[2] = {}) =>
    calibrate(healthyFiles(tmp(), seeds, options));

  it("passes held-out healthy runs of the setup and catches a step-0 fault the shipped set misses", async () => {
    const calibration = await calibrationOf([1, 2, 3]);
    for (const seed of [11, 12, 13, 14, 15, 16]) {
      expect(firstAlarm(setupRun(`healthy-${seed}`, seed), { calibration }), `healthy ${seed}`).toBeNull();
    }
    const faulty = setupRun("hot", 21, { hotSampling: true });
    expect(firstAlarm(faulty, {}), "zero-shot sees no change within the run").toBeNull();
    expect(firstAlarm(faulty, { calibration })).not.toBeNull();
  });

  it("judges by step number, so runs logged every k steps line up", async () => {
    const sparse = { every: 3, steps: 150 };
    const calibration = await calibrationOf([1, 2, 3], sparse);
    expect(calibration.prior.width).toBe(3);
    expect(firstAlarm(setupRun("healthy", 31, sparse), { calibration })).toBeNull();
    expect(firstAlarm(setupRun("hot", 32, { ...sparse, hotSampling: true }), { calibration })).not.toBeNull();
  });

  it("works from one run, with the kinds' effect sizes for the spread", async () => {
    const calibration = await calibrationOf([1]);
    expect(calibration.runs).toBe(1);
    expect(firstAlarm(setupRun("healthy", 41), { calibration })).toBeNull();
    expect(firstAlarm(setupRun("hot", 42, { hotSampling: true }), { calibration })).not.toBeNull();
  });

  it("reads a calibration file, and gives no prior to signals it has no reference for", async () => {
    const calibration: Calibration = await calibrationOf([1, 2, 3]);
    const path = join(tmp(), "setup.json");
    writeFileSync(path, formatCalibration(calibration));
    expect(firstAlarm(setupRun("hot", 21, { hotSampling: true }), { calibration: path })).not.toBeNull();
    const set = calibratedSet(defaultFingerprintSet(), calibration);
    const lr = set.signals.indexOf("lr");
    expect(set.prior?.center[lr].every(Number.isNaN)).toBe(true);
    const entropy = set.signals.indexOf("entropy");
    expect(set.prior?.center[entropy][10]).toBe(calibration.prior.center[calibration.signals.indexOf("entropy")][10]);
    // Diagnosis is the set's.
    expect(set.fingerprints).toBe(defaultFingerprintSet().fingerprints);
    // prior: false leaves the prior off.
    expect(firstAlarm(setupRun("hot", 21, { hotSampling: true }), { calibration, prior: false })).toBeNull();
  });
});
