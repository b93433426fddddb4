import { describe, expect, it } from "vitest";
import { preferenceFromEnv, selectKernels } from "../../src/backend/load.js";
import { Monitor, type MonitorSnapshot } from "../../src/monitor/monitor.js";
import type { StepInput } from "../../src/verdict/input.js";

const kernels = selectKernels({ prefer: preferenceFromEnv() });
const quiet = { kernels, onError: () => {} };

describe("Monitor.restore of nothing is an error, not an empty monitor (issue 13, item 5)", () => {
  it.each([null, undefined, 0, false, "", [], 42])("refuses %o", (value) => {
    expect(() => Monitor.restore(value as unknown as MonitorSnapshot, quiet)).toThrow(
      /Monitor\.restore: expected a snapshot \(the object monitor\.snapshot\(\) returns\), got /,
    );
  });

  it("still restores a real snapshot", () => {
    const m = new Monitor(quiet);
    m.observe({ run: "a", step: 0, metrics: { reward_mean: 0.5 } });
    const back = Monitor.restore(JSON.parse(JSON.stringify(m.snapshot())), quiet);
    expect(back.summary("a")?.steps).toBe(1);
    m.close();
    back.close();
  });
});

describe("observe never throws, whatever it is handed (issue 13, item 15)", () => {
  it("turns a throwing getter on any field into an input error in that step's verdict", () => {
    const m = new Monitor(quiet);
    for (const field of ["run", "step", "metrics", "trajectories", "events"]) {
      const input = { run: "r", step: 1, metrics: { reward_mean: 0.5 } } as Record<string, unknown>;
      Object.defineProperty(input, field, {
        get() {
          throw new Error(`no ${field} for you`);
        },
      });
      const v = m.observe(input as unknown as StepInput);
      expect(v.errors, field).toHaveLength(1);
      expect(v.errors?.[0], field).toMatch(new RegExp(`no ${field} for you$`));
      expect(v.anomalous).toBe(false);
    }
    const proxy = new Proxy(
      {},
      {
        get() {
          throw "not even an Error";
        },
      },
    );
    expect(m.observe(proxy as StepInput).errors?.[0]).toMatch(/reading it threw: not even an Error/);
    m.close();
  });

  it.each([null, undefined, 7, "steps", { length: 2 }])("answers observeBatch(%o) with one error verdict", (value) => {
    const m = new Monitor(quiet);
    const out = m.observeBatch(value as unknown as StepInput[]);
    expect(out).toHaveLength(1);
    expect(out[0].errors?.[0]).toMatch(/observeBatch: expected an array of step inputs, got /);
    m.close();
  });

  it("keeps the good steps of a batch that holds a hostile one", () => {
    const m = new Monitor(quiet);
    const bad = Object.defineProperty({}, "run", {
      get() {
        throw new Error("boom");
      },
    });
    const out = m.observeBatch([
      { run: "r", step: 0, metrics: { reward_mean: 0.5 } },
      bad as StepInput,
      { run: "r", step: 1, metrics: { reward_mean: 0.5 } },
    ]);
    expect(out.map((v) => v.errors ?? [])).toEqual([[], ["input: reading it threw: boom"], []]);
    m.close();
  });
});
