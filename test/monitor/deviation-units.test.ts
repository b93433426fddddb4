/**
 * The units of the deviation vector a fingerprint set is learnt and matched in
 * (fingerprint-set.ts `deviation`). In `trend` units a signal's entry is its
 * change against the run's own trend, in the run's own noise on its kind's
 * scale: a setup whose KL is ten times smaller makes the same fault read the
 * same. In `noise` units (the sets from before) it reads in the healthy noise
 * of the setup the set was learnt on, so it shrinks with the KL.
 */
import { describe, expect, it } from "vitest";
import {
  type DeviationUnits,
  type FingerprintSet,
  FingerprintSetError,
  Monitor,
  parseFingerprintSet,
} from "../../src/index.js";
import { defaultFingerprintSet } from "../../src/monitor/fingerprint-set.js";
import { healthyMetricRun } from "./helpers.js";

const withUnits = (deviation: DeviationUnits): FingerprintSet => ({ ...defaultFingerprintSet(), deviation });

/**
 * The deviation vector's kl_ref entry of a run whose KL is `scale` x the healthy one's
 * (with a jitter of its own), up by half from step 20, when the gradient norm blows up
 * (which raises the alarm) at the same step.
 */
function klEntry(deviation: DeviationUnits, scale: number): number {
  const monitor = new Monitor({ fingerprints: withUnits(deviation), prior: false, policy: false });
  try {
    const run = healthyMetricRun("kl", 40, 3, (name, v, t) => {
      if (name === "grad_norm") return t >= 20 ? v * 1000 : v;
      if (name === "kl_ref") return v * scale * Math.exp(0.1 * Math.sin(1.3 * t)) * (t >= 20 ? 1.5 : 1);
      return v;
    });
    for (const step of run) monitor.observe(step);
    const vector = monitor.deviationVector("kl");
    expect(vector, "the gradient blow-up raised an alarm").not.toBeNull();
    return vector![defaultFingerprintSet().signals.indexOf("kl_ref")];
  } finally {
    monitor.close();
  }
}

describe("deviation units of a fingerprint set", () => {
  it("in trend units, a change reads the same on a setup whose signal is 10x smaller; in noise units it does not", () => {
    const trendNative = klEntry("trend", 1);
    const trendSmall = klEntry("trend", 0.1);
    // Unclipped (the clip is 20): an entry at the clip would match whatever the units.
    expect(trendNative).toBeGreaterThan(1);
    expect(trendNative).toBeLessThan(defaultFingerprintSet().detection.clip);
    expect(trendSmall).toBeCloseTo(trendNative, 6);
    const noiseNative = klEntry("noise", 1);
    const noiseSmall = klEntry("noise", 0.1);
    expect(noiseNative).toBeGreaterThan(1);
    expect(noiseNative / noiseSmall).toBeGreaterThan(2);
  });

  it("a set without the field is in noise units; a bad value is refused, naming the field", () => {
    const { deviation: _, ...old } = withUnits("noise");
    const doc = JSON.parse(JSON.stringify(old));
    expect(parseFingerprintSet(doc).deviation).toBeUndefined();
    expect(parseFingerprintSet({ ...doc, deviation: "trend" }).deviation).toBe("trend");
    expect(() => parseFingerprintSet({ ...doc, deviation: "z" }, "fp.json")).toThrow(FingerprintSetError);
    expect(() => parseFingerprintSet({ ...doc, deviation: "z" }, "fp.json")).toThrow(
      'fp.json: deviation: expected one of noise, trend, got "z"',
    );
  });
});
