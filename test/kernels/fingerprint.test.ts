import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DETECT_SHAPE_ERROR,
  type FingerprintCentroids,
  type FingerprintMatcher,
  type Kernels,
} from "../../src/backend/kernel.js";
import { backends, freeing, thrown } from "./backends.js";

/**
 * As in native/src/detect/fingerprint.rs: fingerprint 0 moves signals 0 and 2 up,
 * fingerprint 1 moves signal 0 down and says nothing of signal 2; weights 1, 5, 2.
 */
const SET: FingerprintCentroids = {
  fingerprints: 2,
  dims: 3,
  centroids: Float64Array.of(2, 0, 1, -1, 1, NaN),
  weights: Float64Array.of(1, 5, 2),
};

interface Matched {
  used: number;
  similarity: Float64Array;
  confidence: Float64Array;
}

function match(matcher: FingerprintMatcher, vector: number[], temperature: number): Matched {
  const similarity = new Float64Array(matcher.fingerprints);
  const confidence = new Float64Array(matcher.fingerprints);
  const used = matcher.match(Float64Array.from(vector), temperature, similarity, confidence);
  return { used, similarity, confidence };
}

const withMatcher = <T>(kernels: Kernels, set: FingerprintCentroids, use: (matcher: FingerprintMatcher) => T): T =>
  freeing(kernels.detectors.createMatcher(set), use);

const sum = (a: Float64Array) => a.reduce((s, x) => s + x, 0);

describe.each(backends)("fingerprint matching on $name", (kernels) => {
  it("computes the weighted cosine with a missing dimension, by hand", () => {
    withMatcher(kernels, SET, (matcher) => {
      expect([matcher.fingerprints, matcher.dims]).toEqual([2, 3]);
      const { used, similarity, confidence } = match(matcher, [1, NaN, 2], 0.5);
      // Dimension 1 is missing: 2 used. Fingerprint 0: dot 1*1*2 + 4*2*1 = 10, |v|² 1 + 16 = 17,
      // |c|² 4 + 4 = 8. Fingerprint 1: only dimension 0 in common, cosine -1.
      expect(used).toBe(2);
      expect(similarity[0]).toBe(10 / (Math.sqrt(17) * Math.sqrt(8)));
      expect(similarity[1]).toBe(-1);
      // Softmax of sim / 0.5: 1 / (1 + e^((sim1 - sim0) / 0.5)) and the rest.
      const e1 = Math.exp((similarity[1] - similarity[0]) / 0.5);
      expect(confidence[0]).toBeCloseTo(1 / (1 + e1), 15);
      expect(confidence[1]).toBeCloseTo(e1 / (1 + e1), 15);
    });
  });

  it("gives confidences that sum to 1 and order like the similarities", () => {
    const set: FingerprintCentroids = {
      fingerprints: 4,
      dims: 2,
      centroids: Float64Array.of(1, 0, 0, 1, 1, 1, -1, -1),
      weights: Float64Array.of(1, 1),
    };
    withMatcher(kernels, set, (matcher) => {
      for (const temperature of [0.05, 0.3, 1, 20]) {
        const { used, similarity, confidence } = match(matcher, [2, 1], temperature);
        expect(used).toBe(2);
        expect(sum(confidence)).toBeCloseTo(1, 14);
        const order = (a: Float64Array) => [0, 1, 2, 3].sort((i, j) => a[j] - a[i]);
        expect(order(confidence)).toEqual(order(similarity));
        expect(similarity[3]).toBe(-similarity[2]); // the opposite centroid of fingerprint 2
      }
    });
  });

  it("counts a dimension as used only when the vector has it and its weight is above 0", () => {
    const set = { fingerprints: 1, dims: 3, centroids: Float64Array.of(1, 1, 1), weights: Float64Array.of(1, 0, 1) };
    withMatcher(kernels, set, (matcher) => {
      expect(match(matcher, [1, 1, NaN], 1)).toEqual({
        used: 1,
        similarity: Float64Array.of(1),
        confidence: Float64Array.of(1),
      });
      expect(match(matcher, [NaN, 1, NaN], 1)).toEqual({
        used: 0,
        similarity: Float64Array.of(0),
        confidence: Float64Array.of(1),
      });
    });
  });

  it("refuses bad sets and calls with ERR_RFTFM_DETECT_SHAPE, writing nothing", () => {
    const create = (set: Partial<FingerprintCentroids>) => () => kernels.detectors.createMatcher({ ...SET, ...set });
    expect(create({ fingerprints: 0 })).toThrow(`${DETECT_SHAPE_ERROR}: fingerprints must be a whole number`);
    expect(create({ dims: 2.5 })).toThrow(`${DETECT_SHAPE_ERROR}: dims must be a whole number`);
    expect(create({ centroids: new Float64Array(5) })).toThrow(`${DETECT_SHAPE_ERROR}: centroids (5)`);
    expect(create({ weights: new Float64Array(2) })).toThrow(
      `${DETECT_SHAPE_ERROR}: centroids (6) must have fingerprints x dims (2 x 3 = 6) entries, weights (2)`,
    );
    expect(create({ weights: Float64Array.of(1, -1, 1) })).toThrow(
      `${DETECT_SHAPE_ERROR}: weight -1 of dimension 1 must be finite and at least 0`,
    );
    expect(create({ weights: Float64Array.of(1, 1, NaN) })).toThrow(`${DETECT_SHAPE_ERROR}: weight NaN of dimension 2`);
    withMatcher(kernels, SET, (matcher) => {
      const similarity = Float64Array.of(7, 7);
      const confidence = Float64Array.of(7, 7);
      for (const temperature of [0, -1, NaN, Infinity]) {
        expect(() => matcher.match(Float64Array.of(1, 1, 1), temperature, similarity, confidence)).toThrow(
          `${DETECT_SHAPE_ERROR}: temperature`,
        );
      }
      expect(() => matcher.match(Float64Array.of(1, 1), 1, similarity, confidence)).toThrow(
        `${DETECT_SHAPE_ERROR}: vector (2) must have dims (3) entries`,
      );
      expect(() => matcher.match(Float64Array.of(1, 1, 1), 1, similarity.subarray(1), confidence)).toThrow(
        DETECT_SHAPE_ERROR,
      );
      expect([...similarity, ...confidence]).toEqual([7, 7, 7, 7]);
    });
  });
});

describe("fingerprint matching parity", () => {
  const [native, wasm] = backends;

  it("words its refusals the same on both backends", () => {
    const sets: FingerprintCentroids[] = [
      { ...SET, centroids: new Float64Array(4) },
      { ...SET, weights: Float64Array.of(0.5, -0.25, 1) },
    ];
    for (const set of sets) {
      expect(thrown(() => native.detectors.createMatcher(set))).toBe(thrown(() => wasm.detectors.createMatcher(set)));
    }
    const [a, b] = [native, wasm].map((k) =>
      withMatcher(k, SET, (m) =>
        thrown(() => m.match(Float64Array.of(1, 1, 1), -0.5, new Float64Array(2), new Float64Array(2))),
      ),
    );
    expect(a).toBe(b);
  });

  it("computes the softmax's e^x the same on both backends, over its whole range", () => {
    // Similarities 1 and -1: the second confidence is e^(-2 / t) / (1 + e^(-2 / t)), so a sweep
    // of temperatures runs exp over (-750, 0]: every branch, the subnormal results included.
    const set = { fingerprints: 2, dims: 1, centroids: Float64Array.of(1, -1), weights: Float64Array.of(1) };
    const temperatures = Float64Array.from({ length: 4000 }, (_, i) => 2 / (750 * ((i + 1) / 4000) ** 2));
    const [a, b] = [native, wasm].map((kernels) =>
      withMatcher(kernels, set, (matcher) => {
        const out = new Float64Array(2 * temperatures.length);
        temperatures.forEach((t, i) => {
          matcher.match(Float64Array.of(1), t, new Float64Array(2), out.subarray(2 * i, 2 * i + 2));
        });
        return out;
      }),
    );
    expect(new Uint8Array(a.buffer)).toEqual(new Uint8Array(b.buffer));
    expect(a.some((c) => c > 0 && c < 2.2250738585072014e-308)).toBe(true); // a subnormal was reached
  });

  const entry = fc.oneof(
    { weight: 8, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0) },
    { weight: 1, arbitrary: fc.double() },
  );
  const setup = fc
    .record({ fingerprints: fc.integer({ min: 1, max: 6 }), dims: fc.integer({ min: 1, max: 10 }) })
    .chain(({ fingerprints, dims }) =>
      fc.record({
        set: fc.record({
          fingerprints: fc.constant(fingerprints),
          dims: fc.constant(dims),
          centroids: fc
            .array(entry, { minLength: fingerprints * dims, maxLength: fingerprints * dims })
            .map((a) => Float64Array.from(a)),
          weights: fc
            .array(fc.oneof(fc.double({ min: 0, max: 5, noNaN: true }), fc.constant(0)), {
              minLength: dims,
              maxLength: dims,
            })
            .map((a) => Float64Array.from(a)),
        }),
        vectors: fc.array(fc.array(entry, { minLength: dims, maxLength: dims }), { minLength: 1, maxLength: 4 }),
        temperature: fc.oneof(fc.double({ min: 1e-3, max: 10, noNaN: true }), fc.constantFrom(1e-300, 5e-324, 1e300)),
      }),
    );

  it("gives native and wasm the same bits on random sets and vectors", () => {
    fc.assert(
      fc.property(setup, ({ set, vectors, temperature }) => {
        const [a, b] = [native, wasm].map((kernels) =>
          withMatcher(kernels, set, (matcher) =>
            vectors.map((v) => {
              const { used, similarity, confidence } = match(matcher, v, temperature);
              return {
                used,
                similarity: new Uint8Array(similarity.buffer),
                confidence: new Uint8Array(confidence.buffer),
              };
            }),
          ),
        );
        expect(a).toEqual(b);
        for (const { confidence } of a) {
          const c = new Float64Array(confidence.buffer);
          expect(sum(c)).toBeCloseTo(1, 12);
        }
      }),
      { numRuns: 300 },
    );
  });
});
