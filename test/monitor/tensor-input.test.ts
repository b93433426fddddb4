/**
 * Issue 13, item 11: the `{ rows, columns: Map }` trajectory form is checked
 * as the plain-object form is. A short column was padded with zeros (typed
 * array) or read as non-finite cells (plain array), a huge `rows` scanned on
 * the addon and failed on wasm, and one bad step failed every step of its
 * observeBatch. Now a bad tensor is an input error of its own step, which is
 * judged without it; the other steps are judged as if it were not there.
 * Runs on the backend RFTFM_BACKEND selects (both are run in CI).
 */
import { describe, expect, it } from "vitest";
import type { Kernels } from "../../src/backend/kernel.js";
import { preferenceFromEnv, selectKernels } from "../../src/backend/load.js";
import { Monitor } from "../../src/monitor/monitor.js";
import { featureNames } from "../../src/scan/features.js";
import { MAX_TENSOR_CELLS, MAX_TENSOR_ROWS } from "../../src/scan/limits.js";
import { scanEach, scanSteps } from "../../src/scan/scan.js";
import type { TensorLike } from "../../src/telemetry/records.js";
import type { StepInput } from "../../src/verdict/input.js";

const kernels = selectKernels({ prefer: preferenceFromEnv() });

function monitor(k: Kernels = kernels): { m: Monitor; logged: string[] } {
  const logged: string[] = [];
  return { m: new Monitor({ kernels: k, onError: (e) => logged.push(e) }), logged };
}

const metrics = { reward_mean: 0.5, entropy: 0.8, kl_ref: 0.01 };
const mapped = (rows: unknown, columns: [unknown, unknown][]) =>
  ({ rows, columns: new Map(columns) }) as unknown as TensorLike;

/** The verdict of `step` with `trajectories`, and the verdict of the same step without any, each on a fresh monitor. */
function judged(trajectories: unknown) {
  const a = monitor();
  const withBad = a.m.observe({ run: "r", step: 0, metrics, trajectories } as StepInput);
  const b = monitor();
  const without = b.m.observe({ run: "r", step: 0, metrics });
  a.m.close();
  b.m.close();
  return { withBad, without, logged: a.logged };
}

describe("the { rows, columns: Map } trajectory form is checked (issue 13, item 11)", () => {
  it("a good Map tensor is read exactly as the same tensor as a plain object (control)", () => {
    const a = monitor();
    const b = monitor();
    const reward = [1, 0, 0, 1];
    const viaMap = a.m.observe({
      run: "r",
      step: 0,
      metrics,
      trajectories: mapped(4, [["reward", Float64Array.from(reward)]]),
    });
    const viaObject = b.m.observe({ run: "r", step: 0, metrics, trajectories: { reward } });
    expect(viaMap).toEqual(viaObject);
    expect(viaMap.errors).toBeUndefined();
    a.m.close();
    b.m.close();
  });

  it.each<[string, unknown, string]>([
    [
      "a short Float64Array column (was padded with zeros: mean 0.25)",
      mapped(4, [["reward", Float64Array.of(1)]]),
      "trajectories.columns.reward: 1 values, rows is 4",
    ],
    [
      "a short plain column (was read as non-finite cells: a fake alarm)",
      mapped(4, [["reward", [1]]]),
      "trajectories.columns.reward: 1 values, rows is 4",
    ],
    [
      "a column longer than rows",
      mapped(2, [["reward", [1, 0, 1]]]),
      "trajectories.columns.reward: 3 values, rows is 2",
    ],
    [
      "rows negative",
      mapped(-1, [["reward", []]]),
      "trajectories.rows: expected a whole number from 0 to 1048576, got -1",
    ],
    [
      "rows fractional",
      mapped(2.5, [["reward", [1, 0]]]),
      "trajectories.rows: expected a whole number from 0 to 1048576, got 2.5",
    ],
    [
      "rows NaN",
      mapped(NaN, [["reward", [1]]]),
      "trajectories.rows: expected a whole number from 0 to 1048576, got NaN",
    ],
    [
      "rows a string",
      mapped("4", [["reward", [1, 0, 0, 1]]]),
      'trajectories.rows: expected a whole number from 0 to 1048576, got "4"',
    ],
    [
      "rows 1e7 (the addon scanned it, wasm failed)",
      mapped(1e7, [["reward", [1]]]),
      "trajectories.rows: expected a whole number from 0 to 1048576, got 10000000",
    ],
    ["a column name that is no string", mapped(1, [[7, [1]]]), "trajectories.columns: a column name is 7"],
    [
      "a DataView column",
      mapped(1, [["reward", new DataView(new ArrayBuffer(8))]]),
      "trajectories.columns.reward: expected an array of numbers",
    ],
    [
      "a BigInt64Array column",
      mapped(1, [["reward", new BigInt64Array(1)]]),
      "trajectories.columns.reward: expected an array of numbers",
    ],
    ["a text cell", mapped(2, [["reward", [1, "x"]]]), 'trajectories.reward[1]: expected a number, got "x"'],
    [
      "a plain-object column beyond the row bound",
      { reward: new Float64Array(MAX_TENSOR_ROWS + 1) },
      "trajectories.reward: 1048577 values, more than the 1048576 rows a step may have",
    ],
  ])("%s: an input error in the step's verdict, the step judged without its tensor", (_, trajectories, message) => {
    const { withBad, without, logged } = judged(trajectories);
    expect(withBad.errors).toEqual([message]);
    expect(logged).toEqual([message]);
    const { errors: _errors, ...rest } = withBad;
    expect(rest).toEqual(without);
    expect(withBad.notes).toBeUndefined();
  });

  it("refuses a tensor beyond the cell bound, and takes one at the row bound", () => {
    const wide = new Map<string, ArrayLike<number>>();
    const rows = MAX_TENSOR_ROWS;
    const column = new Float64Array(rows);
    for (let c = 0; c < 64; c++) wide.set(`extra_${c}`, column);
    const { withBad } = judged({ rows, columns: wide });
    expect(withBad.errors?.[0]).toMatch(/^trajectories: 1048576 rows x 64 extra columns is beyond the 67108864 cells/);
    const { withBad: atBound } = judged({ rows, columns: new Map([["reward", column]]) });
    expect(atBound.errors).toBeUndefined();
  });

  it("one bad step of an observeBatch fails alone: the other steps get the verdicts they get without it", () => {
    const good = (run: string, step: number): StepInput => ({
      run,
      step,
      metrics,
      trajectories: mapped(4, [["reward", Float64Array.of(1, 0, 0, 1)]]),
    });
    const withBad = monitor();
    const clean = monitor();
    const verdicts = withBad.m.observeBatch([
      good("a", 0),
      { run: "b", step: 0, metrics, trajectories: mapped(1e7, [["reward", [1]]]) },
      good("c", 0),
    ]);
    const expected = clean.m.observeBatch([good("a", 0), good("c", 0)]);
    expect([verdicts[0], verdicts[2]]).toEqual(expected);
    expect(verdicts[1].errors).toEqual(["trajectories.rows: expected a whole number from 0 to 1048576, got 10000000"]);
    withBad.m.close();
    clean.m.close();
  });
});

/** The kernels, with a scan that throws for any batch holding a step of `rows` rows, counting calls. */
function refusing(rows: number, calls: number[]): Kernels {
  return new Proxy(kernels, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (key !== "scan") return typeof value === "function" ? value.bind(target) : value;
      return (batch: { offsets: ArrayLike<number>; steps: number }) => {
        calls.push(batch.steps);
        for (let s = 0; s < batch.steps; s++)
          if (batch.offsets[s + 1] - batch.offsets[s] === rows) throw new Error("out of memory (simulated)");
        return (value as (b: unknown) => void).call(target, batch);
      };
    },
  });
}

describe("scanning a batch: bounded kernel calls, one failure kept to its step (issue 13, item 11)", () => {
  const tensor = (rows: number, extra?: string): TensorLike => {
    const columns = new Map<string, ArrayLike<number>>([
      ["reward", Float64Array.from({ length: rows }, (_, i) => i % 2)],
    ]);
    if (extra) columns.set(extra, new Float64Array(rows).fill(3));
    return { rows, columns };
  };
  const steps = [tensor(4), tensor(3, "extra_a"), tensor(5), tensor(6, "extra_b")].map((trajectories, i) => ({
    run: `r${i}`,
    step: 0,
    trajectories,
  }));

  it("a step the kernels refuse fails alone; the others are scanned as they are alone", () => {
    const calls: number[] = [];
    const out = scanEach(refusing(3, calls), steps);
    expect(out[1]).toEqual({ error: "out of memory (simulated)" });
    for (const i of [0, 2, 3]) {
      const alone = scanSteps(kernels, [steps[i]])[0];
      expect((out[i] as { features: Float64Array }).features).toEqual(alone.features);
    }
    // One call for the batch, then one per step.
    expect(calls).toEqual([4, 1, 1, 1, 1]);
  });

  it("splits a batch into kernel calls of at most maxCells packed cells, with the same features", () => {
    const calls: number[] = [];
    const counting = refusing(-1, calls);
    const whole = scanEach(counting, steps);
    expect(calls).toEqual([4]);
    calls.length = 0;
    // 15 canonical columns: 9 rows (+1 extra) = 144 cells fit, 4+3+5 rows do not.
    const split = scanEach(counting, steps, 160);
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(4);
    // Each step's features, by name, leaving out the blocks of other steps' extra columns (absent for it).
    const own = (sf: unknown, i: number) => {
      const { columns, features } = sf as { columns: string[]; features: Float64Array };
      const names = featureNames(columns);
      const keep = (name: string) =>
        !name.startsWith("extra_") || steps[i].trajectories.columns.has(name.slice(0, name.indexOf(".")));
      return Object.fromEntries(names.flatMap((name, k) => (keep(name) ? [[name, features[k]]] : [])));
    };
    split.forEach((s, i) => {
      expect(own(s, i)).toEqual(own(whole[i], i));
    });
    expect(MAX_TENSOR_CELLS).toBe(2 ** 26);
  });
});
