import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeLine, encodeRecord, isProblem, type Problem, type TelemetryRecord } from "../../src/telemetry/index.js";
import { record as validRecord } from "./arbitraries.js";

const decode = (text: string) => decodeLine(text, "t.jsonl", 7);

function expectRecord(result: TelemetryRecord | Problem): TelemetryRecord {
  if (isProblem(result)) throw new Error(`expected a record, got problem: ${result.reason}`);
  return result;
}

function expectProblem(result: TelemetryRecord | Problem): Problem {
  if (!isProblem(result)) throw new Error(`expected a problem, got a ${result.kind} record`);
  return result;
}

describe("decodeLine: the four kinds (spec examples)", () => {
  it("decodes a step record", () => {
    const r = expectRecord(
      decode(
        '{"kind":"step","run":"r17","step":42,"time":1732200000.5,' +
          '"metrics":{"reward_mean":0.41,"kl_ref":0.013,"grad_norm":0.8,"lr":1e-6}}',
      ),
    );
    expect(r).toEqual({
      kind: "step",
      run: "r17",
      step: 42,
      time: 1732200000.5,
      metrics: { reward_mean: 0.41, kl_ref: 0.013, grad_norm: 0.8, lr: 1e-6 },
    });
  });

  it("decodes a columnar trajectories record, keeping the parsed arrays", () => {
    const r = expectRecord(
      decode(
        '{"kind":"trajectories","run":"r17","step":42,' +
          '"columns":{"group":[0,0,0,0,1,1,1,1],"reward":[1,0,0,1,0,0,0,0],"length":[57,88,91,60,120,128,128,77]}}',
      ),
    );
    expect(r).toEqual({
      kind: "trajectories",
      run: "r17",
      step: 42,
      rows: 8,
      columns: {
        group: [0, 0, 0, 0, 1, 1, 1, 1],
        reward: [1, 0, 0, 1, 0, 0, 0, 0],
        length: [57, 88, 91, 60, 120, 128, 128, 77],
      },
    });
  });

  it("decodes a trajectory row: every key but kind/run/step/time is a cell", () => {
    const r = expectRecord(
      decode('{"kind":"trajectory","run":"r17","step":42,"time":5,"group":3,"reward":1,"length":57}'),
    );
    expect(r).toEqual({ kind: "trajectory", run: "r17", step: 42, values: { group: 3, reward: 1, length: 57 } });
  });

  it("decodes an event: the other keys are its data", () => {
    const r = expectRecord(
      decode('{"kind":"event","run":"r17","step":50,"name":"checkpoint","path":"c/50","keep":true}'),
    );
    expect(r).toEqual({ kind: "event", run: "r17", step: 50, name: "checkpoint", data: { path: "c/50", keep: true } });
  });

  it("keeps unknown top-level keys out of the way", () => {
    const r = expectRecord(
      decode('{"kind":"step","run":"r","step":1,"metrics":{"x":1},"host":"n1","extra":{"a":[1]}}'),
    );
    expect(r).toEqual({ kind: "step", run: "r", step: 1, metrics: { x: 1 } });
  });
});

describe("decodeLine: values", () => {
  it('decodes "NaN", "Infinity", "-Infinity" to non-finite numbers everywhere', () => {
    const step = expectRecord(
      decode('{"kind":"step","run":"r","step":0,"metrics":{"a":"NaN","b":"Infinity","c":"-Infinity"}}'),
    );
    expect(step.kind === "step" && step.metrics).toEqual({ a: NaN, b: Infinity, c: -Infinity });

    const block = expectRecord(
      decode('{"kind":"trajectories","run":"r","step":0,"columns":{"x":[1,"NaN","Infinity","-Infinity"]}}'),
    );
    expect(block.kind === "trajectories" && block.columns.x).toEqual([1, NaN, Infinity, -Infinity]);
    expect(block.kind === "trajectories" && block.missingCells).toBeUndefined();

    const row = expectRecord(decode('{"kind":"trajectory","run":"r","step":0,"x":"NaN","y":"-Infinity"}'));
    expect(row.kind === "trajectory" && row.values).toEqual({ x: NaN, y: -Infinity });
  });

  it("treats null as missing: an absent metric or row cell, a NaN column cell that is counted", () => {
    const step = expectRecord(decode('{"kind":"step","run":"r","step":0,"metrics":{"a":null,"b":2}}'));
    expect(step.kind === "step" && step.metrics).toEqual({ b: 2 });

    const block = expectRecord(
      decode('{"kind":"trajectories","run":"r","step":0,"columns":{"x":[null,1,null],"y":[1,2,3]}}'),
    );
    expect(block.kind === "trajectories" && block.columns.x).toEqual([NaN, 1, NaN]);
    expect(block.kind === "trajectories" && block.missingCells).toBe(2);

    const row = expectRecord(decode('{"kind":"trajectory","run":"r","step":0,"x":null,"y":1}'));
    expect(row.kind === "trajectory" && row.values).toEqual({ y: 1 });
  });

  it("accepts booleans as 1/0 in trajectory cells (flag columns), not in metrics", () => {
    const block = expectRecord(
      decode('{"kind":"trajectories","run":"r","step":0,"columns":{"correct":[true,false,1]}}'),
    );
    expect(block.kind === "trajectories" && block.columns.correct).toEqual([1, 0, 1]);
    const row = expectRecord(decode('{"kind":"trajectory","run":"r","step":0,"truncated":true}'));
    expect(row.kind === "trajectory" && row.values).toEqual({ truncated: 1 });
    expect(expectProblem(decode('{"kind":"step","run":"r","step":0,"metrics":{"ok":true}}')).field).toBe("metrics.ok");
  });

  it("converts a finite numeric run name with String()", () => {
    const r = expectRecord(decode('{"kind":"step","run":17,"step":0,"metrics":{}}'));
    expect(r.run).toBe("17");
  });

  it("ignores a row's non-numeric extra keys but rejects a bad canonical cell", () => {
    const r = expectRecord(decode('{"kind":"trajectory","run":"r","step":0,"reward":1,"response":"4","meta":{"a":1}}'));
    expect(r.kind === "trajectory" && r.values).toEqual({ reward: 1 });
    const p = expectProblem(decode('{"kind":"trajectory","run":"r","step":0,"reward":"high"}'));
    expect(p).toEqual({ source: "t.jsonl", line: 7, reason: 'reward: expected a number, got "high"', field: "reward" });
  });

  it("strips a UTF-8 byte order mark", () => {
    expect(expectRecord(decode('\uFEFF{"kind":"step","run":"r","step":0,"metrics":{}}')).kind).toBe("step");
  });

  it("keeps __proto__ keys as plain keys", () => {
    const r = expectRecord(decode('{"kind":"step","run":"r","step":0,"metrics":{"__proto__":"NaN","x":1}}'));
    expect(r.kind === "step" && Object.getPrototypeOf(r.metrics)).toBe(Object.prototype);
    expect(r.kind === "step" && Object.keys(r.metrics)).toEqual(["__proto__", "x"]);
  });
});

describe("decodeLine: malformed lines name the field", () => {
  const cases: Array<[string, string, string | undefined]> = [
    ["not json", "not valid JSON: ", undefined],
    ["", "not valid JSON: ", undefined],
    ["[1,2]", "expected a JSON object, got an array", undefined],
    ['"step"', 'expected a JSON object, got "step"', undefined],
    ["null", "expected a JSON object, got null", undefined],
    ['{"run":"r","step":1,"metrics":{}}', "kind: missing", "kind"],
    [
      '{"kind":"steps","run":"r","step":1}',
      'kind: expected "step", "trajectories", "trajectory" or "event", got "steps"',
      "kind",
    ],
    ['{"kind":"step","step":1,"metrics":{}}', "run: expected a non-empty string, got nothing", "run"],
    ['{"kind":"step","run":"","step":1,"metrics":{}}', 'run: expected a non-empty string, got ""', "run"],
    ['{"kind":"step","run":["r"],"step":1,"metrics":{}}', "run: expected a non-empty string, got an array", "run"],
    ['{"kind":"step","run":"r","metrics":{}}', "step: expected a non-negative integer, got nothing", "step"],
    ['{"kind":"step","run":"r","step":-1,"metrics":{}}', "step: expected a non-negative integer, got -1", "step"],
    ['{"kind":"step","run":"r","step":1.5,"metrics":{}}', "step: expected a non-negative integer, got 1.5", "step"],
    ['{"kind":"step","run":"r","step":"3","metrics":{}}', 'step: expected a non-negative integer, got "3"', "step"],
    [
      '{"kind":"step","run":"r","step":1e300,"metrics":{}}',
      "step: expected a non-negative integer, got 1e+300",
      "step",
    ],
    ['{"kind":"step","run":"r","step":1}', "metrics: expected an object, got nothing", "metrics"],
    ['{"kind":"step","run":"r","step":1,"metrics":[1]}', "metrics: expected an object, got an array", "metrics"],
    [
      '{"kind":"step","run":"r","step":1,"metrics":{"kl_ref":"abc"}}',
      'metrics.kl_ref: expected a number, got "abc"',
      "metrics.kl_ref",
    ],
    [
      '{"kind":"step","run":"r","step":1,"metrics":{"kl_ref":{}}}',
      "metrics.kl_ref: expected a number, got an object",
      "metrics.kl_ref",
    ],
    [
      '{"kind":"step","run":"r","step":1,"time":"now","metrics":{}}',
      'time: expected a finite number, got "now"',
      "time",
    ],
    ['{"kind":"trajectories","run":"r","step":1}', "columns: expected an object of arrays, got nothing", "columns"],
    [
      '{"kind":"trajectories","run":"r","step":1,"columns":[[1]]}',
      "columns: expected an object of arrays, got an array",
      "columns",
    ],
    [
      '{"kind":"trajectories","run":"r","step":1,"columns":{"reward":3}}',
      "columns.reward: expected an array, got 3",
      "columns.reward",
    ],
    [
      '{"kind":"trajectories","run":"r","step":1,"columns":{"reward":[1,"x"]}}',
      'columns.reward[1]: expected a number, got "x"',
      "columns.reward",
    ],
    [
      '{"kind":"trajectories","run":"r","step":1,"columns":{"reward":[[1]]}}',
      "columns.reward[0]: expected a number, got an array",
      "columns.reward",
    ],
    ['{"kind":"event","run":"r","step":1}', "name: expected a non-empty string, got nothing", "name"],
    ['{"kind":"event","run":"r","step":1,"name":7}', "name: expected a non-empty string, got 7", "name"],
  ];

  it.each(cases)("%s", (text, reason, field) => {
    const p = expectProblem(decode(text));
    expect(p.source).toBe("t.jsonl");
    expect(p.line).toBe(7);
    expect(p.reason.startsWith(reason)).toBe(true);
    expect(p.field).toBe(field);
  });

  it("rejects a block whose columns differ in length, listing every length", () => {
    const p = expectProblem(
      decode(
        '{"kind":"trajectories","run":"r","step":1,"columns":{"reward":[1,0,1,1,0,0,1,1],"group":[0,0,0,0,1,1,1]}}',
      ),
    );
    expect(p.reason).toBe("columns.group has 7 values but columns.reward has 8 (lengths: reward 8, group 7)");
    expect(p.field).toBe("columns");
  });

  it("shortens long offending strings", () => {
    const p = expectProblem(decode(`{"kind":"step","run":"r","step":1,"metrics":{"a":"${"x".repeat(500)}"}}`));
    expect(p.reason.length).toBeLessThan(100);
  });
});

describe("decodeLine: properties", () => {
  /** Any UTF-16 code units: control characters, lone surrogates, byte order marks. */
  const anyUtf16 = fc.string({ unit: fc.nat(0xffff).map((c) => String.fromCharCode(c)), maxLength: 64 });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), anyUtf16), (text) => {
        const result = decode(text);
        expect(typeof result).toBe("object");
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        decode(JSON.stringify(value) ?? "");
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on near-valid records with arbitrary fields", () => {
    const anything = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom("NaN", "Infinity", "-Infinity", true, null),
    );
    const nearRecord = fc.record(
      {
        kind: fc.constantFrom("step", "trajectories", "trajectory", "event", "other"),
        run: fc.oneof(fc.string(), fc.integer(), anything),
        step: fc.oneof(fc.nat(), fc.integer(), fc.double(), anything),
        time: anything,
        name: anything,
        metrics: fc.oneof(fc.dictionary(fc.string(), anything), anything),
        columns: fc.oneof(
          fc.dictionary(fc.string(), fc.oneof(fc.array(anything, { maxLength: 4 }), anything)),
          anything,
        ),
        reward: anything,
        __proto__: anything,
      },
      { requiredKeys: ["kind"] },
    );
    fc.assert(
      fc.property(nearRecord, (value) => {
        const result = decode(JSON.stringify(value));
        if (!isProblem(result)) expect(["step", "trajectories", "trajectory", "event"]).toContain(result.kind);
      }),
      { numRuns: 1000 },
    );
  });

  it("decodes an encoded valid record back unchanged, non-finite values included", () => {
    fc.assert(
      fc.property(validRecord, (record) => {
        const line = encodeRecord(record);
        expect(line).not.toContain("\n");
        expect(decode(line)).toEqual(record);
      }),
      { numRuns: 1000 },
    );
  });
});
