/**
 * A StepInput's values follow the JSONL reader's rules (src/verdict/check-values.ts):
 * a metric that is not a number is an input error in the verdict and absent
 * from the step (never NaN, which would be data and raise alarms); `null` is a
 * metric not sent; a `null` trajectory cell is missing (NaN), as in JSONL, not 0.
 */
import { describe, expect, it } from "vitest";
import { Monitor, type StepInput, type Verdict } from "../../src/index.js";
import { backends } from "../kernels/backends.js";
import { healthyMetricRun } from "./helpers.js";

const BAD: Array<[string, unknown]> = [
  ["undefined", undefined],
  ['"abc"', "abc"],
  ["{}", {}],
  ['"0.5"', "0.5"],
  ["[0.5]", [0.5]],
  ["true", true],
];

const withoutErrors = ({ errors: _errors, ...rest }: Verdict) => rest;

describe.each(backends.map((k) => [k.name, k] as const))("StepInput values (%s)", (_, kernels) => {
  const monitor = () => new Monitor({ kernels, onError: () => {} });
  const run = healthyMetricRun("r", 14);
  const name = Object.keys(run[12].metrics!)[0];

  it.each(BAD)("a metric %s is an input error and absent, not NaN: the step is judged without it", (label, value) => {
    const logged: string[] = [];
    const m = new Monitor({ kernels, onError: (e) => logged.push(e) });
    const clean = monitor();
    for (const input of run.slice(0, 12)) {
      m.observe(input);
      clean.observe(input);
    }
    const { [name]: _dropped, ...rest } = run[12].metrics!;
    const bad = m.observe({ ...run[12], metrics: { ...run[12].metrics!, [name]: value } as never });
    const expected = clean.observe({ ...run[12], metrics: rest });
    const message = `metrics.${name}: expected a number, got ${label === "undefined" ? "nothing" : label === "[0.5]" ? "an array" : label === "{}" ? "an object" : label}; left out`;
    expect(bad.errors).toEqual([message]);
    expect(logged).toEqual([message]);
    expect(withoutErrors(bad)).toEqual(expected);
    expect(bad.actions).toEqual(expected.actions);
    // The run goes on as the clean one does.
    expect(m.observe(run[13])).toEqual(clean.observe(run[13]));
  });

  it("NaN and Infinity are data, not errors; null is a metric not sent", () => {
    const m = monitor();
    for (const input of run.slice(0, 12)) m.observe(input);
    expect(m.observe({ ...run[12], metrics: { ...run[12].metrics!, [name]: NaN } }).errors).toBeUndefined();
    const nulled = monitor();
    const absent = monitor();
    for (const input of run.slice(0, 12)) {
      nulled.observe(input);
      absent.observe(input);
    }
    const { [name]: _dropped, ...rest } = run[12].metrics!;
    const withNull = nulled.observe({ ...run[12], metrics: { ...run[12].metrics!, [name]: null } as never });
    expect(withNull).toEqual(absent.observe({ ...run[12], metrics: rest }));
  });

  it("a null trajectory cell is missing (NaN) as in JSONL, not 0; a text cell is an error", () => {
    const step = (reward: unknown[]): StepInput =>
      ({ run: "t", step: 0, trajectories: { reward, group: [0, 0, 1, 1] } }) as never;
    const nulls = monitor().observe(step([1, null, 0, 1]));
    const nans = monitor().observe(step([1, NaN, 0, 1]));
    const zeros = monitor().observe(step([1, 0, 0, 1]));
    expect(nulls).toEqual(nans);
    expect(nulls).not.toEqual(zeros);
    expect(monitor().observe(step([true, false, 0, 1]))).toEqual(monitor().observe(step([1, 0, 0, 1])));
    expect(monitor().observe(step([1, "x", 0, 1])).errors).toEqual([
      'trajectories.reward[1]: expected a number, got "x"',
    ]);
  });
});
