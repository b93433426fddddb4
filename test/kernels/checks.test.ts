import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DETECT_OPTIONS } from "../../src/backend/generated/detect.js";
import {
  DETECT_OPTIONS_ERROR,
  DETECT_SHAPE_ERROR,
  DETECT_SNAPSHOT_ERROR,
  type DetectorOptions,
  type Kernels,
  SCAN_SHAPE_ERROR,
} from "../../src/backend/kernel.js";
import { backends } from "./backends.js";

const [native, wasm] = backends;

/** What a call did on one backend: its result, or the message it threw. */
function outcome<T>(f: () => T): { ok: T } | { thrown: string } {
  try {
    return { ok: f() };
  } catch (e) {
    return { thrown: (e as Error).message };
  }
}

/**
 * The same outcome on both backends, and a refusal never the kernel's own (its
 * defence, reached only when src/backend/checks.ts let an input through that the
 * kernel then refused: a rule written differently in the two places).
 */
function same<T>(call: (k: Kernels) => T): { ok: T } | { thrown: string } {
  const a = outcome(() => call(native));
  const b = outcome(() => call(wasm));
  expect(a).toEqual(b);
  if ("thrown" in a) expect(a.thrown).not.toMatch(/refused|^(?!ERR_RFTFM_)/);
  return a;
}

/** Option values around each rule's edges: whole, fractional, zero, negative, non-finite, too many streams. */
const optionValue = fc.constantFrom(0, 1, 2, 0.5, 1.5, -1, 1e-9, 7, 3000, Number.NaN, Number.POSITIVE_INFINITY, -0);

describe("input rules, checked once for both backends (src/backend/checks.ts)", () => {
  it("accept and refuse the same option vectors, in the same words", () => {
    const names = DETECT_OPTIONS.map((o) => o.name);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), optionValue, { maxKeys: 4 }), (options) => {
        const result = same((k) => {
          const bank = k.detectors.createBank(options as DetectorOptions);
          try {
            return bank.options;
          } finally {
            bank.free();
          }
        });
        if ("thrown" in result) expect(result.thrown.startsWith(`${DETECT_OPTIONS_ERROR}: `)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("accept and refuse the same snapshots, in the same words", () => {
    const bank = native.detectors.createBank({ max_runs: 3, max_signals: 2 });
    bank.push(
      Uint32Array.of(5, 5),
      Uint32Array.of(0, 1),
      Float64Array.of(1, 2),
      new Float64Array(14),
      new Int32Array(2),
    );
    const good = bank.snapshot();
    bank.free();
    const word = fc.integer({ min: 0, max: good.length / 8 - 1 });
    const corrupt = fc.oneof(
      fc.record({ at: word, value: optionValue }).map(({ at, value }) => {
        const bytes = good.slice();
        new DataView(bytes.buffer).setFloat64(8 * at, value, true);
        return bytes;
      }),
      fc.integer({ min: 0, max: good.length + 16 }).map((n) => {
        const bytes = new Uint8Array(n);
        bytes.set(good.subarray(0, Math.min(n, good.length)));
        return bytes;
      }),
    );
    fc.assert(
      fc.property(corrupt, (bytes) => {
        const result = same((k) => {
          const restored = k.detectors.restoreBank(bytes);
          try {
            return [...restored.snapshot()];
          } finally {
            restored.free();
          }
        });
        if ("thrown" in result) expect(result.thrown.startsWith(`${DETECT_SNAPSHOT_ERROR}: `)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("refuse the same scan batches, in the same words", () => {
    const columns = 9;
    const rows = 4;
    for (const offsets of [
      [0, 2, 4],
      [1, 2, 4],
      [0, 2, 3],
      [0, 3, 2],
      [0, 0, 4],
    ]) {
      same((k) => {
        const batch = k.allocBatch({ columns, steps: 2, rows });
        try {
          batch.offsets.set(offsets);
          batch.present.fill(1);
          k.scan(batch);
          return [...batch.out].map((x) => (Number.isNaN(x) ? "NaN" : x));
        } finally {
          k.freeBatch(batch);
        }
      });
    }
    const tooFew = same((k) => {
      const batch = k.allocBatch({ columns: 2, steps: 1, rows: 1 });
      try {
        batch.offsets.set([0, 1]);
        k.scan(batch);
      } finally {
        k.freeBatch(batch);
      }
    });
    expect(tooFew).toEqual({ thrown: expect.stringMatching(new RegExp(`^${SCAN_SHAPE_ERROR}: columns is 2`)) });
  });

  it("refuse the same pushes, prior scores and matches, in the same words", () => {
    const push = (runs: number[], signals: number[], values: number[], width = 7) =>
      same((k) => {
        const bank = k.detectors.createBank({ max_runs: 2, max_signals: 3 });
        try {
          const outputs = new Float64Array(values.length * width);
          const flags = new Int32Array(values.length);
          bank.push(Uint32Array.from(runs), Uint32Array.from(signals), Float64Array.from(values), outputs, flags);
          return [...flags];
        } finally {
          bank.free();
        }
      });
    expect(push([1, 1], [0, 3], [1, 2])).toEqual({
      thrown: `${DETECT_SHAPE_ERROR}: signal 3 of observation 1 is not below max_signals (3)`,
    });
    expect(push([1], [0, 1], [1, 2])).toHaveProperty("thrown");
    expect(push([1, 2], [0, 1], [1, 2], 6)).toHaveProperty("thrown");
    const table = { signals: 2, buckets: 2, center: new Float64Array(4), scale: Float64Array.of(1, 1, 1, 1) };
    for (const [signals, steps, values, zLength] of [
      [[0, 2], [0, 0], [1, 1], 2],
      [[0, 1], [0], [1, 1], 2],
      [[0, 1], [0, 9], [1, 1], 1],
    ] as const) {
      expect(
        same((k) => {
          const prior = k.detectors.createPrior(table);
          try {
            prior.score(
              Uint32Array.from(signals),
              Uint32Array.from(steps),
              Float64Array.from(values),
              new Float64Array(zLength),
            );
          } finally {
            prior.free();
          }
        }),
      ).toHaveProperty("thrown");
    }
    const set = { fingerprints: 2, dims: 2, centroids: Float64Array.of(1, 0, 0, 1), weights: Float64Array.of(1, 1) };
    for (const temperature of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(
        same((k) => {
          const matcher = k.detectors.createMatcher(set);
          try {
            return matcher.match(Float64Array.of(1, 1), temperature, new Float64Array(2), new Float64Array(2));
          } finally {
            matcher.free();
          }
        }),
      ).toEqual({ thrown: `${DETECT_SHAPE_ERROR}: temperature ${temperature} must be finite and above 0` });
    }
  });
});
