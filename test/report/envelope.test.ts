import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Envelope } from "../../src/report/envelope.js";

describe("Envelope (a curve in bounded memory)", () => {
  it("keeps every step as logged while the run fits", () => {
    const e = new Envelope(8);
    for (let s = 1; s <= 8; s++) e.add(s, s * 10);
    const p = e.points();
    expect(e.downsampled).toBe(false);
    expect(p.steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(p.value).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    expect(p.min).toEqual(p.value);
    expect(p.max).toEqual(p.value);
  });

  it("past maxPoints merges neighbours: mean of the bucket, its min and max, drawn at its last step", () => {
    const e = new Envelope(4);
    for (const [i, v] of [5, 1, 2, 8, 3, 3].entries()) e.add(i + 1, v);
    // 4 one-step buckets, then the 5th step merges them into 2 of width 2; steps 5-6 fill a third.
    expect(e.bucketWidth).toBe(2);
    const p = e.points();
    expect(p.steps).toEqual([2, 4, 6]);
    expect(p.value).toEqual([3, 5, 3]);
    expect(p.min).toEqual([1, 2, 3]);
    expect(p.max).toEqual([5, 8, 3]);
  });

  it("counts non-finite values as data and keeps them out of mean, min and max", () => {
    const e = new Envelope(4);
    e.add(1, 1);
    e.add(2, Number.NaN);
    e.add(3, Number.POSITIVE_INFINITY);
    const p = e.points();
    expect(p.value).toEqual([1, null, null]);
    expect(p.nonfinite).toEqual([
      { step: 2, count: 1 },
      { step: 3, count: 1 },
    ]);
  });

  it("truncateFrom drops the steps a resumed log replays", () => {
    const e = new Envelope(10);
    for (let s = 1; s <= 6; s++) e.add(s, s);
    e.truncateFrom(4);
    e.add(4, 40);
    expect(e.points().steps).toEqual([1, 2, 3, 4]);
    expect(e.points().value).toEqual([1, 2, 3, 40]);
  });

  it("for any series: at most maxPoints points, and the envelope holds exactly the global min and max", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 500 }),
        (maxPoints, values) => {
          const e = new Envelope(maxPoints);
          for (const [i, v] of values.entries()) e.add(i, v);
          const p = e.points();
          expect(p.steps.length).toBeLessThanOrEqual(maxPoints);
          expect(p.steps[p.steps.length - 1]).toBe(values.length - 1);
          expect(Math.min(...(p.min as number[]))).toBe(Math.min(...values));
          expect(Math.max(...(p.max as number[]))).toBe(Math.max(...values));
          // Each point's mean lies within its envelope.
          p.value.forEach((v, i) => {
            expect(v!).toBeGreaterThanOrEqual(p.min[i]! - 1e-9 * Math.abs(p.min[i]!));
            expect(v!).toBeLessThanOrEqual(p.max[i]! + 1e-9 * Math.abs(p.max[i]!));
          });
        },
      ),
    );
  });
});
