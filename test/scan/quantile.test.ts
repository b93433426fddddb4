import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { featureRecord, quantileOfSorted, scan } from "../../src/index.js";

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => (x === 0 ? 0 : x));

describe("quantileOfSorted", () => {
  it("interpolates between order statistics", () => {
    expect(quantileOfSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileOfSorted([1, 2, 3, 4], 0)).toBe(1);
    expect(quantileOfSorted([1, 2, 3, 4], 1)).toBe(4);
    expect(quantileOfSorted([7], 0.9)).toBe(7);
    expect(quantileOfSorted([], 0.5)).toBeNaN();
    // An order statistic hit exactly does not look at the next one.
    expect(quantileOfSorted([0, 1, Infinity], 0.5)).toBe(1);
  });

  it("gives the kernels' p10, p50 and p90, bit for bit", () => {
    fc.assert(
      // Without -0: the kernels promise no order between -0 and 0 (native/src/scan/quantile.rs), so the sign of a zero may differ.
      fc.property(fc.array(finite, { minLength: 1, maxLength: 200 }), (xs) => {
        const [step] = scan([
          { run: "r", step: 0, trajectories: { rows: xs.length, columns: new Map([["reward", xs]]) } },
        ]);
        const f = featureRecord(step);
        const sorted = [...xs].sort((a, b) => a - b);
        for (const p of [10, 50, 90])
          expect(Object.is(f[`reward.p${p}`], quantileOfSorted(sorted, p / 100))).toBe(true);
      }),
    );
  });
});
