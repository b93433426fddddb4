import { describe, expect, it } from "vitest";
import { makeContext } from "../../src/diagnosis/build.js";
import { ramp, zStrength } from "../../src/diagnosis/confidence.js";
import { evidenceLine } from "../../src/diagnosis/format.js";
import { estimateOnset } from "../../src/diagnosis/onset.js";
import { fromStart, moved, span } from "../../src/diagnosis/trace.js";
import { formatNumber, sigma } from "../../src/verdict/words.js";
import { ctx, healthy, jump, noZ, series } from "./helpers.js";

describe("evidence wording", () => {
  it("names signal, value, step and deviation", () => {
    const c = ctx({
      kl_ref: series([0.01, 0.01, 0.01, 0.01, 0.01, 0.2, 0.3, 0.41], [0, 0, 0, 0, 0, 6, 9, 14.2], 0.01),
    });
    const t = c.signal("kl_ref")!;
    expect(evidenceLine(t, span(c, t)[2])).toBe("kl_ref 0.41 at step 17, +14.2σ from healthy");
    expect(formatNumber(4.2e5)).toBe("4.2e+5");
    expect(formatNumber(1e-6)).toBe("1e-6");
    expect(formatNumber(NaN)).toBe("NaN");
    expect(sigma(-3.14)).toBe("-3.1σ");
    expect(sigma(Infinity)).toBe("non-finite");
  });
});

describe("strength mapping", () => {
  it("ramps linearly and clamps", () => {
    expect(ramp(5, 0, 10)).toBe(0.5);
    expect(ramp(-1, 0, 10)).toBe(0);
    expect(ramp(11, 0, 10)).toBe(1);
    expect(ramp(NaN, 0, 10)).toBe(0);
    expect(zStrength(3)).toBe(0);
    expect(zStrength(-10)).toBe(1);
    expect(zStrength(Infinity)).toBe(1);
  });
});

describe("moved", () => {
  it("trusts a known z over the value", () => {
    const c = ctx({ ...healthy(), tool_error_rate: jump(0, 0.5, 2) });
    expect(moved(c, c.signal("tool_error_rate"), "up", { abs: { min: 0.1, full: 0.5 } })).toBeUndefined();
  });

  it("falls back on the value against the reference (or a nominal one) without z", () => {
    const c = makeContext({
      alarmStep: 5,
      signals: { a: noZ([1, 1, 1, 1, 1, 1.6, 1.6, 1.6], 1), b: { values: [0, 0, 0, 0, 0, 0.4, 0.4, 0.4] } },
    });
    const a = moved(c, c.signal("a"), "up", { abs: { min: 0.1, full: 1.1 } })!;
    expect(a.strength).toBeCloseTo(0.5);
    expect(a.up).toBe(true);
    expect(moved(c, c.signal("a"), "down", { abs: { min: 0.1, full: 1.1 } })).toBeUndefined();
    expect(moved(c, c.signal("b"), "up", { abs: { min: 0.1, full: 0.5 } })).toBeUndefined();
    expect(moved(c, c.signal("b"), "up", { abs: { min: 0.1, full: 0.5 }, nominal: 0 })?.point.step).toBe(5);
  });

  it("tells a configuration (off from the first step) from an event", () => {
    const c = ctx({ a: series([5, 5, 5, 5, 5, 5, 5, 5], [8, 8, 8, 8, 8, 8, 8, 8]), b: jump(1, 5, 8) });
    expect(fromStart(c, c.signal("a"), "up")).toBe(true);
    expect(fromStart(c, c.signal("b"), "up")).toBe(false);
  });
});

describe("onset estimate", () => {
  it("walks back from the alarm over out-of-band steps, tolerating one in-band step", () => {
    const c = ctx({
      drift: series([0, 0, 4, 2, 5, 9, 9, 9], [0, 0, 4, 2, 5, 9, 9, 9]),
      blip: series([0, 9, 0, 0, 0, 9, 9, 9], [0, 9, 0, 0, 0, 9, 9, 9]),
    });
    expect(estimateOnset(c, [c.signal("drift")])).toBe(12);
    expect(estimateOnset(c, [c.signal("blip")])).toBe(15);
    expect(estimateOnset(c, [c.signal("blip"), c.signal("drift")])).toBe(12);
  });

  it("is undefined when no implicated signal was out of band by the alarm", () => {
    const c = ctx({ late: series([0, 0, 0, 0, 0, 0, 0, 9], [0, 0, 0, 0, 0, 0, 0, 9]) });
    expect(estimateOnset(c, [c.signal("late")])).toBeUndefined();
  });
});
