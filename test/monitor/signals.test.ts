import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CANONICAL_COLUMNS, featureRecord, scan } from "../../src/index.js";
import { defaultFingerprintSet } from "../../src/monitor/fingerprint-set.js";
import { isTensorSignal, type MonitoredStep, readSignals } from "../../src/monitor/signals.js";

/** The plain definition: every value from the feature record by name (what readSignals computes without building it). */
function byName(step: MonitoredStep, signals: readonly string[]) {
  const features = featureRecord(step);
  const metrics = step.data.metrics ?? {};
  return signals.map((name) => {
    if (name === "nonfinite") {
      if (!step.features) return { v: NaN, p: 0 };
      let n = 0;
      for (const [k, v] of Object.entries(features)) if (k.endsWith(".nonfinite")) n += v;
      return { v: n, p: 1 };
    }
    if (isTensorSignal(name)) {
      const v = features[name] ?? NaN;
      return { v, p: Number.isFinite(v) ? 1 : 0 };
    }
    return name in metrics ? { v: Number(metrics[name]), p: 1 } : { v: NaN, p: 0 };
  });
}

const cell = fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constantFrom(NaN, Infinity, 0, 1));

describe("readSignals", () => {
  const signals = [
    ...defaultFingerprintSet().signals,
    "my_score.mean",
    "reward.count",
    "length.nonfinite",
    "nonfinite",
  ];

  it("reads every signal as the feature record names it, for any subset of columns, extras and non-finite cells", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.subarray([...CANONICAL_COLUMNS, "my_score"], { minLength: 0 }),
        fc.boolean(),
        fc.array(cell, { minLength: 400, maxLength: 400 }),
        fc.dictionary(fc.constantFrom("reward_mean", "loss", "lr", "entropy", "other"), cell),
        (rows, columns, grouped, pool, metrics) => {
          const map = new Map<string, number[]>(
            columns.map((c, k) => [c, Array.from({ length: rows }, (_, i) => pool[(k * 31 + i) % pool.length])]),
          );
          if (grouped)
            map.set(
              "group",
              Array.from({ length: rows }, (_, i) => i % 3),
            );
          const tensor = map.size ? { rows, columns: map } : undefined;
          const [step] = scan([{ run: "r", step: 0, metrics, trajectories: tensor }]) as MonitoredStep[];
          const values = new Float64Array(signals.length);
          const present = new Uint8Array(signals.length);
          readSignals(step, signals, values, present);
          const expected = byName(step, signals);
          expect([...values]).toEqual(expected.map((e) => e.v));
          expect([...present]).toEqual(expected.map((e) => e.p));
        },
      ),
      { numRuns: 200 },
    );
  });
});
