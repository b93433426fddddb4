import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Z_MAX } from "../../src/backend/generated/detect.js";
import { DETECT_SHAPE_ERROR, type Kernels, type PriorScorer, type PriorTable } from "../../src/backend/kernel.js";
import { backends, freeing, thrown } from "./backends.js";

/**
 * 2 signals x 3 buckets (as in native/src/detect/prior.rs). Signal 0: centers 0, 10, 20,
 * scales 1, 2, 4. Signal 1: bucket 0 without a center, bucket 1 without a scale (NaN),
 * bucket 2 with scale 0: no reference anywhere.
 */
const TABLE: PriorTable = {
  signals: 2,
  buckets: 3,
  center: Float64Array.of(0, 10, 20, NaN, 5, 5),
  scale: Float64Array.of(1, 2, 4, 1, NaN, 0),
};

function score(prior: PriorScorer, signals: number[], steps: number[], values: number[]): Float64Array {
  const z = new Float64Array(values.length);
  prior.score(Uint32Array.from(signals), Uint32Array.from(steps), Float64Array.from(values), z);
  return z;
}

const withPrior = <T>(kernels: Kernels, table: PriorTable, use: (prior: PriorScorer) => T): T =>
  freeing(kernels.detectors.createPrior(table), use);

describe.each(backends)("healthy prior on $name", (kernels) => {
  it("scores against the cell of the signal and step, by hand", () => {
    withPrior(kernels, TABLE, (prior) => {
      expect([prior.signals, prior.buckets]).toEqual([2, 3]);
      // (3 - 0)/1, (13 - 10)/2, (14 - 20)/4; steps 7 and 2^32 - 1 fall in the last bucket.
      const z = score(prior, [0, 0, 0, 0, 0], [0, 1, 2, 7, 2 ** 32 - 1], [3, 13, 14, 30, 18]);
      expect([...z]).toEqual([3, 1.5, -1.5, 2.5, -0.5]);
    });
  });

  it("gives NaN without a reference or a finite value, and clamps to ±z_max", () => {
    withPrior(kernels, TABLE, (prior) => {
      const z = score(prior, [1, 1, 1, 1, 0, 0], [0, 1, 2, 9, 0, 0], [5, 5, 5, 5, NaN, -Infinity]);
      expect([...z].every(Number.isNaN)).toBe(true);
    });
    withPrior(
      kernels,
      { signals: 1, buckets: 1, center: Float64Array.of(0), scale: Float64Array.of(1e-300) },
      (prior) => {
        expect([...score(prior, [0, 0, 0], [0, 0, 0], [1, -1, 0])]).toEqual([Z_MAX, -Z_MAX, 0]);
      },
    );
  });

  it("accepts an empty batch", () => {
    withPrior(kernels, TABLE, (prior) => expect(score(prior, [], [], [])).toEqual(new Float64Array(0)));
  });

  it("refuses bad tables and batches with ERR_RFTFM_DETECT_SHAPE, writing nothing", () => {
    const create = (table: Partial<PriorTable>) => () => kernels.detectors.createPrior({ ...TABLE, ...table });
    expect(create({ signals: 0 })).toThrow(`${DETECT_SHAPE_ERROR}: signals must be a whole number`);
    expect(create({ buckets: 1.5 })).toThrow(`${DETECT_SHAPE_ERROR}: buckets must be a whole number`);
    expect(create({ center: new Float64Array(5) })).toThrow(`${DETECT_SHAPE_ERROR}: center (5) and scale (6)`);
    expect(create({ scale: Float64Array.of(1, 1, 1, 1, -2, 1) })).toThrow(
      `${DETECT_SHAPE_ERROR}: scale -2 of signal 1, bucket 1 is negative`,
    );
    withPrior(kernels, TABLE, (prior) => {
      const z = Float64Array.of(7, 7);
      const bad =
        (signals: number[], steps: number[], values: number[], out = z) =>
        () =>
          prior.score(Uint32Array.from(signals), Uint32Array.from(steps), Float64Array.from(values), out);
      expect(bad([0, 2], [0, 0], [1, 1])).toThrow(
        `${DETECT_SHAPE_ERROR}: signal 2 of observation 1 is not below signals (2)`,
      );
      expect(bad([0, 0], [0], [1, 1])).toThrow(`${DETECT_SHAPE_ERROR}: signals (2), steps (1), values (2)`);
      expect(bad([0, 0], [0, 0], [1, 1], z.subarray(1))).toThrow(DETECT_SHAPE_ERROR);
      expect([...z]).toEqual([7, 7]);
    });
  });
});

describe("healthy prior parity", () => {
  const [native, wasm] = backends;

  it("words its refusals the same on both backends", () => {
    const cases: PriorTable[] = [
      { ...TABLE, center: new Float64Array(7) },
      { ...TABLE, scale: Float64Array.of(1, 1, 1, 1, 1, -0.5) },
      { ...TABLE, signals: -1 },
    ];
    for (const table of cases) {
      expect(thrown(() => native.detectors.createPrior(table))).toBe(thrown(() => wasm.detectors.createPrior(table)));
    }
  });

  const value = fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: -100, max: 100, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e300, -1e300) },
    { weight: 1, arbitrary: fc.double() },
  );
  const scale = fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: 1e-3, max: 100, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, 0, -0, 1e-300) },
    { weight: 1, arbitrary: fc.double({ min: 0 }) },
  );
  const setup = fc
    .record({
      signals: fc.integer({ min: 1, max: 5 }),
      buckets: fc.integer({ min: 1, max: 6 }),
      n: fc.integer({ min: 0, max: 60 }),
    })
    .chain(({ signals, buckets, n }) =>
      fc.record({
        table: fc.record({
          signals: fc.constant(signals),
          buckets: fc.constant(buckets),
          center: fc
            .array(value, { minLength: signals * buckets, maxLength: signals * buckets })
            .map((a) => Float64Array.from(a)),
          scale: fc
            .array(scale, { minLength: signals * buckets, maxLength: signals * buckets })
            .map((a) => Float64Array.from(a)),
        }),
        signals: fc.array(fc.integer({ min: 0, max: signals - 1 }), { minLength: n, maxLength: n }),
        steps: fc.array(fc.oneof(fc.integer({ min: 0, max: buckets + 2 }), fc.nat()), { minLength: n, maxLength: n }),
        values: fc.array(value, { minLength: n, maxLength: n }),
      }),
    );

  it("gives native and wasm the same bits on random tables and batches", () => {
    fc.assert(
      fc.property(setup, ({ table, signals, steps, values }) => {
        const [a, b] = [native, wasm].map((kernels) =>
          withPrior(kernels, table, (prior) => new Uint8Array(score(prior, signals, steps, values).buffer)),
        );
        expect(a).toEqual(b);
      }),
      { numRuns: 300 },
    );
  });
});

describe.each(backends)("accumulating against the prior on $name", (kernels) => {
  const settings = { k: 2, clip: 8, h: 10 };
  const step = (sums: Float64Array, z: number[]) => {
    const alarms = new Uint8Array(sums.length).fill(9);
    kernels.detectors.priorAccumulate(sums, Float64Array.from(z), settings, alarms);
    return [...alarms];
  };

  it("adds |z| beyond the slack, clipped, and starts over after an alarm, by hand", () => {
    const sums = Float64Array.of(0, 0, 5, 9);
    // |z| 3 adds 1; |z| 1 is under the slack; NaN keeps 5; 1e6 counts as 8: 9 + 6 = 15 > 10.
    expect(step(sums, [-3, 1, NaN, 1e6])).toEqual([0, 0, 0, 1]);
    expect([...sums]).toEqual([1, 0, 5, 0]);
    // A lasting |z| of 4 alarms on the 6th step, then starts over.
    const one = Float64Array.of(0);
    expect(Array.from({ length: 12 }, () => step(one, [4])[0])).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    const inf = Float64Array.of(0);
    step(inf, [-Infinity]);
    expect([...inf]).toEqual([6]);
  });

  it("refuses bad settings and shapes without writing", () => {
    const sums = Float64Array.of(1, 1);
    const alarms = Uint8Array.of(7, 7);
    const z = Float64Array.of(1, 1);
    for (const bad of [
      { k: -1, clip: 8, h: 10 },
      { k: 2, clip: 0, h: 10 },
      { k: 2, clip: 8, h: NaN },
    ]) {
      expect(thrown(() => kernels.detectors.priorAccumulate(sums, z, bad, alarms))).toMatch(
        new RegExp(`^${DETECT_SHAPE_ERROR}: accumulation needs`),
      );
    }
    expect(thrown(() => kernels.detectors.priorAccumulate(sums, Float64Array.of(1), settings, alarms))).toMatch(
      /sums \(2\), z \(1\)/,
    );
    expect([...sums, ...alarms]).toEqual([1, 1, 7, 7]);
  });
});

describe("accumulating against the prior: native and wasm agree bit for bit", () => {
  it("on random sums and z, over many steps", () => {
    const [native, wasm] = backends;
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0, 2, -2)), {
            minLength: 5,
            maxLength: 5,
          }),
          { minLength: 1, maxLength: 20 },
        ),
        fc.record({
          k: fc.double({ min: 0, max: 5, noNaN: true }),
          clip: fc.double({ min: 0.1, max: 20, noNaN: true }),
          h: fc.double({ min: 0.1, max: 50, noNaN: true }),
        }),
        (steps, settings) => {
          const a = new Float64Array(5);
          const b = new Float64Array(5);
          for (const z of steps) {
            const fa = new Uint8Array(5);
            const fb = new Uint8Array(5);
            native.detectors.priorAccumulate(a, Float64Array.from(z), settings, fa);
            wasm.detectors.priorAccumulate(b, Float64Array.from(z), settings, fb);
            expect(new Uint8Array(b.buffer)).toEqual(new Uint8Array(a.buffer));
            expect(fb).toEqual(fa);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
