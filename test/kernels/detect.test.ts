import { describe, expect, it } from "vitest";
import { seededRandom } from "../../bench/random.js";
import { DETECT_FLAGS, DETECT_OPTIONS, DETECT_OUTPUTS, DETECT_VERSION } from "../../src/backend/generated/detect.js";
import {
  DETECT_OPTIONS_ERROR,
  DETECT_SHAPE_ERROR,
  DETECT_SNAPSHOT_ERROR,
  type DetectorBank,
  type DetectorOptions,
  type Kernels,
} from "../../src/backend/kernel.js";
import { backends, freeing } from "./backends.js";

const W = DETECT_OUTPUTS.length;
const out = (name: (typeof DETECT_OUTPUTS)[number]) => DETECT_OUTPUTS.indexOf(name);
const bit = (name: (typeof DETECT_FLAGS)[number]) => 1 << DETECT_FLAGS.indexOf(name);
const ALARM = bit("spike") | bit("shift_up") | bit("shift_down") | bit("drift_up") | bit("drift_down");

interface Pushed {
  outputs: Float64Array;
  flags: Int32Array;
}

/** Pushes observations given as [run, signal, value] triples. */
function push(bank: DetectorBank, observations: [number, number, number][]): Pushed {
  const n = observations.length;
  const outputs = new Float64Array(n * W);
  const flags = new Int32Array(n);
  bank.push(
    Uint32Array.from(observations, (o) => o[0]),
    Uint32Array.from(observations, (o) => o[1]),
    Float64Array.from(observations, (o) => o[2]),
    outputs,
    flags,
  );
  return { outputs, flags };
}

/** One run, one signal. */
const series = (values: number[], run = 1): [number, number, number][] => values.map((v) => [run, 0, v]);

/** Runs `runs` streams of Gaussian noise of `length` observations, interleaved, with `shift` added from `at` on. */
function noisy(runs: number, length: number, seed: number, shift = 0, at = Infinity): [number, number, number][] {
  const random = seededRandom(seed);
  const observations: [number, number, number][] = [];
  for (let t = 0; t < length; t++) {
    for (let r = 0; r < runs; r++) observations.push([r, 0, random.normal() + (t >= at ? shift : 0)]);
  }
  return observations;
}

const withBank = <T>(kernels: Kernels, options: DetectorOptions, use: (bank: DetectorBank) => T): T =>
  freeing(kernels.detectors.createBank(options), use);

describe.each(backends)("detectors on $name", (kernels) => {
  it("computes the baseline and z-scores by hand", () => {
    withBank(kernels, {}, (bank) => {
      const { outputs, flags } = push(bank, series([10, 12, 8]));
      // First observation: nothing to deviate from; level 0 and the floor scale 1e-9 before it.
      expect([outputs[out("z")], outputs[out("level")], outputs[out("scale")]]).toEqual([0, 0, 1e-9]);
      expect(flags[0]).toBe(bit("new_run") | bit("warmup"));
      // Second: level 10, no spread yet, so the floor 1e-9 * 10 and z capped at 1e6.
      expect(outputs[W + out("level")]).toBe(10);
      expect(outputs[W + out("z")]).toBe(1e6);
      // Third: running mean 11, mean absolute deviation 1, scale sqrt(pi/2).
      expect(outputs[2 * W + out("level")]).toBe(11);
      expect(outputs[2 * W + out("scale")]).toBeCloseTo(Math.sqrt(Math.PI / 2), 15);
      expect(outputs[2 * W + out("z")]).toBeCloseTo(-3 / Math.sqrt(Math.PI / 2), 14);
      expect(flags[2]).toBe(bit("warmup"));
    });
  });

  it("floors the scale at scale_floor, by hand", () => {
    withBank(kernels, { scale_floor: 2 }, (bank) => {
      const { outputs } = push(bank, series([10, 12, 8, 40, -40]));
      // Before anything and for a constant stream: the floor 2, not 1e-9 max(|level|, 1).
      expect([outputs[out("scale")], outputs[W + out("scale")]]).toEqual([2, 2]);
      expect(outputs[W + out("z")]).toBe(1); // (12 - 10) / 2, not the capped 1e6
      // Spread 1: sqrt(pi/2) = 1.25 is still below the floor.
      expect(outputs[2 * W + out("scale")]).toBe(2);
      expect(outputs[2 * W + out("z")]).toBe(-1.5); // (8 - 11) / 2
      // Noisier than the floor: the spread decides again.
      expect(outputs[4 * W + out("scale")]).toBeGreaterThan(2);
    });
  });

  it("accumulates CUSUM by hand", () => {
    // A stream alternating 1, -1 has level ~0 and scale ~sqrt(pi/2) after warm-up; then 3 at a time.
    withBank(kernels, { warmup: 2, alpha: 1e-9, cusum_k: 0.5, cusum_h: 6, ph_lambda: 1e6 }, (bank) => {
      const { outputs } = push(bank, series([1, -1, 1, -1, 3]));
      const i = 4 * W;
      const expectedZ = (3 - outputs[i + out("level")]) / outputs[i + out("scale")];
      expect(outputs[i + out("z")]).toBe(expectedZ);
      // CUSUM adds the clipped z minus the slack k to what it held after observation 3.
      const previousUp = outputs[3 * W + out("cusum_up")];
      expect(outputs[i + out("cusum_up")]).toBeCloseTo(Math.max(0, previousUp + Math.min(expectedZ, 3) - 0.5), 12);
    });
  });

  it("accepts an empty batch", () => {
    withBank(kernels, {}, (bank) =>
      expect(push(bank, [])).toEqual({ outputs: new Float64Array(0), flags: new Int32Array(0) }),
    );
  });

  it("flags non-finite values and keeps them out of the state", () => {
    withBank(kernels, {}, (bank) => {
      const { outputs, flags } = push(bank, series([1, 2, NaN, Infinity, -Infinity, 3]));
      for (const i of [2, 3, 4]) {
        expect(flags[i] & bit("nonfinite")).toBe(bit("nonfinite"));
        expect(outputs[i * W + out("z")]).toBeNaN();
      }
      expect(outputs[5 * W + out("level")]).toBe(1.5);
    });
  });

  it("flags a spike at once, in both directions", () => {
    withBank(kernels, {}, (bank) => {
      const values = noisy(1, 200, 3).map((o) => o[2]);
      values[150] = 12;
      values[180] = -12;
      const { flags } = push(bank, series(values));
      expect(flags[150] & ALARM).toBe(bit("spike"));
      expect(flags[180] & ALARM).toBe(bit("spike"));
    });
  });

  it("detects a k-sigma shift within the documented delay (docs/detectors.md)", () => {
    const runs = 40;
    for (const [shift, bound] of [
      [5, 5],
      [3, 8],
      [-3, 8],
      [2, 16],
      [-2, 16],
      [1, 70],
    ]) {
      withBank(kernels, { max_runs: runs }, (bank) => {
        const { flags } = push(bank, noisy(runs, 1200, 11 + shift, shift, 1000));
        const delays: number[] = [];
        for (let r = 0; r < runs; r++) {
          const alarm = (t: number) => (flags[t * runs + r] & ALARM) !== 0;
          let first = -1;
          for (let t = 0; t < 1200 && first < 0; t++) if (alarm(t)) first = t;
          if (first >= 1000) delays.push(first - 1000 + 1);
          else if (first < 0) delays.push(Infinity);
          // (a false alarm before the shift drops the trial)
        }
        delays.sort((a, b) => a - b);
        expect(delays.length, `${shift}: trials kept`).toBeGreaterThanOrEqual(runs - 2);
        expect(delays[Math.floor(delays.length * 0.95)], `${shift} sigma, 95th percentile delay`).toBeLessThanOrEqual(
          bound,
        );
      });
    }
  });

  it("alarms on stationary noise at most at the documented rate (1 in 20,000)", () => {
    withBank(kernels, { max_runs: 100 }, (bank) => {
      const observations = noisy(100, 4000, 5);
      const { flags } = push(bank, observations);
      const alarms = flags.reduce((n, f) => n + ((f & ALARM) !== 0 ? 1 : 0), 0);
      expect(alarms).toBeLessThanOrEqual(observations.length / 20_000);
    });
  });

  it("evicts the least recently observed run when full, and on request", () => {
    withBank(kernels, { max_runs: 2, max_signals: 2 }, (bank) => {
      let { flags } = push(bank, [
        [1, 0, 1],
        [2, 1, 2],
        [1, 1, 1],
        [3, 0, 3],
      ]);
      const joined = bit("new_run") | bit("evicted");
      expect([...flags].map((f) => f & joined)).toEqual([bit("new_run"), bit("new_run"), 0, joined]);
      expect(bank.runs).toBe(2);
      ({ flags } = push(bank, [[1, 0, 1]]));
      expect(flags[0] & joined).toBe(0); // run 2 was the one evicted
      expect(bank.evict(1)).toBe(true);
      expect(bank.evict(1)).toBe(false);
      expect(bank.runs).toBe(1);
      ({ flags } = push(bank, [[4, 0, 1]]));
      expect(flags[0] & joined).toBe(bit("new_run"));
    });
  });

  it("continues identically after a snapshot round trip", () => {
    withBank(kernels, { max_runs: 3 }, (bank) => {
      const observations = noisy(4, 300, 8, 4, 200);
      observations[500][2] = NaN;
      push(bank, observations.slice(0, 600));
      const copy = kernels.detectors.restoreBank(bank.snapshot());
      try {
        expect(copy.options).toEqual(bank.options);
        expect(copy.snapshot()).toEqual(bank.snapshot());
        expect(push(copy, observations.slice(600))).toEqual(push(bank, observations.slice(600)));
      } finally {
        copy.free();
      }
    });
  });

  it("refuses bad options, batches and snapshots with coded errors", () => {
    expect(() => kernels.detectors.createBank({ alpha: 2 })).toThrow(`${DETECT_OPTIONS_ERROR}: option alpha = 2`);
    expect(() => kernels.detectors.createBank({ max_runs: 1.5 })).toThrow(DETECT_OPTIONS_ERROR);
    expect(() => kernels.detectors.createBank({ nope: 1 } as DetectorOptions)).toThrow(/unknown option nope/);
    expect(() => kernels.detectors.restoreBank(new Uint8Array(12))).toThrow(DETECT_SNAPSHOT_ERROR);
    withBank(kernels, { max_signals: 2 }, (bank) => {
      const before = bank.snapshot();
      expect(() =>
        push(bank, [
          [1, 0, 1],
          [1, 2, 1],
        ]),
      ).toThrow(`${DETECT_SHAPE_ERROR}: signal 2 of observation 1`);
      const short = () =>
        bank.push(new Uint32Array(2), new Uint32Array(2), new Float64Array(2), new Float64Array(W), new Int32Array(2));
      expect(short).toThrow(DETECT_SHAPE_ERROR);
      expect(bank.snapshot()).toEqual(before);
      const truncated = before.slice(0, before.length - 8);
      expect(() => kernels.detectors.restoreBank(truncated)).toThrow(
        `${DETECT_SNAPSHOT_ERROR}: not a detector bank snapshot`,
      );
      // A snapshot of another layout version (the second f64) is refused.
      const older = before.slice();
      new DataView(older.buffer).setFloat64(8, DETECT_VERSION - 1, true);
      expect(() => kernels.detectors.restoreBank(older)).toThrow(
        `${DETECT_SNAPSHOT_ERROR}: not a detector bank snapshot: wrong magic number or layout version`,
      );
    });
  });

  it("scores a series in [0, 1], the same whatever the chunking", () => {
    const values = noisy(1, 3000, 4, 6, 2500).map((o) => o[2]);
    values[1000] = 25;
    const whole = new Float64Array(values.length);
    const chunked = new Float64Array(values.length);
    const a = kernels.detectors.createSeriesScorer();
    const b = kernels.detectors.createSeriesScorer();
    a.score(Float64Array.from(values), whole);
    for (let i = 0; i < values.length; i += 333) {
      const part = Float64Array.from(values.slice(i, i + 333));
      const scores = new Float64Array(part.length);
      b.score(part, scores);
      chunked.set(scores, i);
    }
    a.free();
    b.free();
    expect(chunked).toEqual(whole);
    expect(whole.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(whole[1000]).toBeGreaterThan(0.9);
    expect(Math.max(...whole.slice(2500, 2520))).toBeGreaterThan(0.5);
  });
});

describe("detector parity", () => {
  const [native, wasm] = backends;

  it("gives native and wasm the same bits: outputs, flags, snapshots, series scores", () => {
    const random = seededRandom(99);
    const observations: [number, number, number][] = [];
    for (let i = 0; i < 20_000; i++) {
      const run = random.int(12);
      const v =
        random.uniform() < 0.001
          ? NaN
          : random.normal() * (1 + run) + (i > 12_000 && run % 3 === 0 ? 5 * (1 + run) : 0);
      observations.push([run * 7919, random.int(4), random.uniform() < 0.002 ? v + 40 : v]);
    }
    const options: DetectorOptions = { max_runs: 8, max_signals: 4 };
    const banks = [native, wasm].map((k) => k.detectors.createBank(options));
    const [a, b] = banks.map((bank) => push(bank, observations));
    expect(a.flags).toEqual(b.flags);
    // The same bits: both builds do the same f64 operations in the same order.
    expect(Buffer.from(b.outputs.buffer).equals(Buffer.from(a.outputs.buffer))).toBe(true);
    expect(banks[0].snapshot()).toEqual(banks[1].snapshot());
    // A snapshot from one backend restores on the other.
    const crossed = wasm.detectors.restoreBank(banks[0].snapshot());
    expect(push(crossed, observations.slice(0, 500))).toEqual(push(banks[0], observations.slice(0, 500)));
    crossed.free();
    for (const bank of banks) bank.free();

    const values = Float64Array.from(observations, (o) => o[2]);
    const scores = [native, wasm].map((k) => {
      const scorer = k.detectors.createSeriesScorer({ alpha: 0.05 });
      const s = new Float64Array(values.length);
      scorer.score(values, s);
      scorer.free();
      return s;
    });
    expect(scores[0]).toEqual(scores[1]);
  });

  it("gives native and wasm the same bits on a change of pattern at an ordinary level, and scores it", () => {
    // A cycle of 100 rows that turns into one of 40 rows at row 2500, in the same
    // range: no new extreme, only a rhythm never seen before (the context score).
    const random = seededRandom(7);
    const values = Float64Array.from(
      { length: 4000 },
      (_, i) => 50 + 40 * Math.sin((2 * Math.PI * i) / (i < 2500 ? 100 : 40)) + random.normal() * 0.5,
    );
    const scores = [native, wasm].map((k) => {
      const scorer = k.detectors.createSeriesScorer();
      const s = new Float64Array(values.length);
      scorer.score(values, s);
      scorer.free();
      return s;
    });
    expect(scores[0]).toEqual(scores[1]);
    expect(scores[0].every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(Math.max(...scores[0].slice(2500, 2600))).toBeGreaterThan(Math.max(...scores[0].slice(1000, 2500)));
  });

  it("both backends report every option with its default", () => {
    for (const kernels of backends) {
      withBank(kernels, {}, (bank) => {
        expect(bank.options).toEqual(Object.fromEntries(DETECT_OPTIONS.map((o) => [o.name, o.default])));
      });
    }
  });
});

describe("detector bank: the same bits on both backends on overflowing inputs", () => {
  it("after ±DBL_MAX, subnormals and huge values (sums that overflow to NaN), outputs and snapshots agree", () => {
    const [native, wasm] = backends;
    const random = seededRandom(17);
    const hostile = [Number.MAX_VALUE, -Number.MAX_VALUE, 1e308, -1e308, 5e-324, -0, 0, 1, 2, 3];
    const observations: [number, number, number][] = Array.from({ length: 600 }, (_, i) => [
      1 + (i % 3),
      i % 2,
      hostile[random.int(hostile.length)],
    ]);
    const options: DetectorOptions = { max_runs: 4, max_signals: 2, warmup: 2 };
    const banks = [native, wasm].map((k) => k.detectors.createBank(options));
    const [a, b] = banks.map((bank) => push(bank, observations));
    expect(b.flags).toEqual(a.flags);
    expect(Buffer.from(b.outputs.buffer).equals(Buffer.from(a.outputs.buffer))).toBe(true);
    expect(banks[1].snapshot()).toEqual(banks[0].snapshot());
    for (const bank of banks) bank.free();
  });
});
