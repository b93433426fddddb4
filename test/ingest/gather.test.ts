import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  gatherSteps,
  IngestReport,
  readTelemetry,
  type StepData,
  StepGatherer,
  type TelemetryRecord,
  type TrajectoriesRecord,
} from "../../src/index.js";
import { collect, fixture } from "../telemetry/helpers.js";

const column = (step: StepData, name: string) => Array.from(step.trajectories?.columns.get(name) ?? []);

describe("gathering the interleaved fixture", () => {
  it("emits each run's steps in order, as each completes, mixing blocks and rows", async () => {
    const { steps, report } = readTelemetry([fixture("interleaved.jsonl")]);
    const out = await collect(steps);
    expect(out.map((s) => `${s.run}:${s.step}`)).toEqual(["a:0", "b:5", "a:1", "b:6"]);
    const [a0, b5, a1, b6] = out;

    // a:0: one block, NaN strings and a null cell; metrics with non-finite values; its event.
    expect(a0.time).toBe(100.5);
    expect(a0.metrics).toEqual({ reward_mean: 0.5, kl_ref: NaN, grad_norm: Infinity, lr: 1e-6 });
    expect(a0.trajectories?.rows).toBe(4);
    expect(column(a0, "reward")).toEqual([1, 0, NaN, 1]);
    expect(column(a0, "length")).toEqual([10, 20, 30, NaN]);
    expect(a0.trajectories?.missingCells).toBe(1);
    expect(a0.events.map((e) => [e.name, e.data])).toEqual([["checkpoint", { path: "ckpt/a/0" }]]);

    // b:5: two rows then a block, in arrival order; columns absent from a part are NaN there.
    expect(b5.metrics).toEqual({ reward_mean: 0.1 });
    expect(b5.trajectories?.rows).toBe(4);
    expect(column(b5, "group")).toEqual([0, 0, 1, 1]);
    expect(column(b5, "reward")).toEqual([1, 0, 0, 0]);
    expect(column(b5, "length")).toEqual([57, 88, NaN, NaN]);
    expect(column(b5, "prompt_id")).toEqual([NaN, 7, NaN, NaN]);
    expect(b5.trajectories?.columns.has("response")).toBe(false); // text is not a cell
    expect(b5.trajectories?.missingCells).toBe(5);

    // a:1: a block with a boolean flag column and an unknown column, then a row.
    expect(a1.trajectories?.rows).toBe(3);
    expect(column(a1, "format_ok")).toEqual([1, 0, NaN]);
    expect(column(a1, "custom_score")).toEqual([0.25, -Infinity, NaN]);
    expect([...(a1.trajectories?.columns.keys() ?? [])]).toEqual(["group", "reward", "format_ok", "custom_score"]);

    // b:6: metrics only.
    expect(b6.trajectories).toBeUndefined();
    expect(b6.events).toEqual([]);

    expect(report.toJSON()).toMatchObject({
      sources: 1,
      lines: 11,
      records: 11,
      recordsByKind: { step: 4, trajectories: 3, trajectory: 3, event: 1 },
      steps: 4,
      runs: ["a", "b"],
      trajectoryRows: 11,
      missingCells: 8,
      problemCount: 0,
    });
  });
});

describe("StepGatherer", () => {
  const step = (run: string, n: number, metrics: Record<string, number> = {}): TelemetryRecord => ({
    kind: "step",
    run,
    step: n,
    metrics,
  });
  const block = (run: string, n: number, columns: Record<string, number[]>): TrajectoriesRecord => ({
    kind: "trajectories",
    run,
    step: n,
    rows: Object.values(columns)[0]?.length ?? 0,
    columns,
  });

  it("keeps a single block's parsed arrays as the table's columns (no copy)", () => {
    const g = new StepGatherer();
    const b = block("r", 0, { reward: [1, 2, 3] });
    g.add(b);
    const [data] = g.finish();
    expect(data.trajectories?.columns.get("reward")).toBe(b.columns.reward);
  });

  it("does not throw on a hand-made block whose columns disagree with its row count", () => {
    const g = new StepGatherer();
    g.add({ kind: "trajectories", run: "r", step: 0, rows: 2, columns: { a: [1, 2, 3], b: [4] } });
    g.add({ kind: "trajectory", run: "r", step: 0, values: { a: 5 } });
    const [data] = g.finish();
    expect(column(data, "a")).toEqual([1, 2, 5]);
    expect(column(data, "b")).toEqual([4, NaN, NaN]);
    expect(data.trajectories?.missingCells).toBe(2);
  });

  it("reports a late record with its source and line, and keeps going", () => {
    const report = new IngestReport();
    const g = new StepGatherer(report);
    expect(g.add(step("r", 1))).toBeUndefined();
    expect(g.add(step("r", 2))?.step).toBe(1);
    expect(g.add(step("r", 1), { source: "log.jsonl", line: 9 })).toBeUndefined(); // already emitted
    expect(g.add(step("r", 0))).toBeUndefined(); // older still, no origin
    expect(g.add(step("r", 3))?.step).toBe(2);
    expect(g.finish().map((s) => s.step)).toEqual([3]);
    expect(report.outOfOrderRecords).toBe(2);
    expect(report.problems).toEqual([
      {
        source: "log.jsonl",
        line: 9,
        reason:
          'step: step record for step 1 of run "r" arrived after step 2 (records of a run must arrive in step order); skipped',
        field: "step",
      },
      {
        source: "<records>",
        line: 4,
        reason:
          'step: step record for step 0 of run "r" arrived after step 2 (records of a run must arrive in step order); skipped',
        field: "step",
      },
    ]);
  });

  it("merges the metrics of several step records of one step, later values winning", () => {
    const g = new StepGatherer();
    const first = { a: 1, b: 2 };
    g.add(step("r", 0, first));
    g.add(step("r", 0, { b: 3, c: 4 }));
    const [data] = g.finish();
    expect(data.metrics).toEqual({ a: 1, b: 3, c: 4 });
    expect(first).toEqual({ a: 1, b: 2 }); // the records are not mutated
  });

  it("emits a step that only has events", () => {
    const g = new StepGatherer();
    g.add({ kind: "event", run: "r", step: 4, name: "resume", data: { from: 3 } });
    const [data] = g.finish();
    expect(data).toEqual({
      run: "r",
      step: 4,
      events: [{ kind: "event", run: "r", step: 4, name: "resume", data: { from: 3 } }],
    });
  });

  it("holds at most one open step per run over a long input", () => {
    const g = new StepGatherer();
    let emitted = 0;
    let maxOpen = 0;
    for (let s = 0; s < 5000; s++) {
      for (const run of ["x", "y", "z"]) {
        if (g.add(block(run, s, { reward: [s, s] }))) emitted++;
        if (g.add({ kind: "trajectory", run, step: s, values: { reward: -s } })) emitted++;
        maxOpen = Math.max(maxOpen, g.openSteps);
      }
    }
    emitted += g.finish().length;
    expect(maxOpen).toBe(3);
    expect(emitted).toBe(15000);
    expect(g.openSteps).toBe(0);
  });

  it("gatherSteps takes sync or async iterables of records, located or not", async () => {
    const report = new IngestReport();
    async function* records() {
      yield { record: step("r", 1), source: "s", line: 1 };
      yield step("r", 2);
      yield { record: step("r", 0), source: "s", line: 3 };
    }
    expect((await collect(gatherSteps(records(), report))).map((s) => s.step)).toEqual([1, 2]);
    expect(report.problems[0]).toMatchObject({ source: "s", line: 3 });
    expect((await collect(gatherSteps([step("q", 5)]))).map((s) => s.step)).toEqual([5]);
  });
});

describe("gathering: property", () => {
  /** One thing a step receives: a block of rows, a single row, a step record or an event. */
  type Part =
    | { type: "block"; rows: number; columns: string[] }
    | { type: "row"; columns: string[] }
    | { type: "step" }
    | { type: "event" };
  const extraColumns = ["reward", "length", "custom"];
  const part: fc.Arbitrary<Part> = fc.oneof(
    fc.record({ type: fc.constant("block" as const), rows: fc.nat(4), columns: fc.subarray(extraColumns) }),
    fc.record({ type: fc.constant("row" as const), columns: fc.subarray(extraColumns) }),
    fc.constant({ type: "step" as const }),
    fc.constant({ type: "event" as const }),
  );
  const runPlan = fc.record({
    steps: fc.uniqueArray(fc.nat(40), { minLength: 1, maxLength: 6 }).map((s) => s.sort((a, b) => a - b)),
    parts: fc.array(fc.array(part, { minLength: 1, maxLength: 4 }), { minLength: 6, maxLength: 6 }),
  });
  const scenario = fc.record({
    runs: fc.array(runPlan, { minLength: 1, maxLength: 4 }),
    picks: fc.array(fc.nat(), { maxLength: 150 }),
  });

  /** The value every cell of row `id` holds in `column`: distinct per row and column. */
  const cell = (column: string, id: number) => id * 10 + extraColumns.indexOf(column) + 1;

  it("emits every row exactly once, every step once, per run in step order, whatever the interleaving", () => {
    fc.assert(
      fc.property(scenario, ({ runs, picks }) => {
        let nextId = 0;
        let expectedMissing = 0;
        const expectedRows = new Map<string, number[]>(); // "run:step" -> row ids in arrival order
        const expectedValues = new Map<number, Set<string>>(); // row id -> columns it was sent with
        const queues = runs.map((plan, r) => {
          const run = `run${r}`;
          const records: TelemetryRecord[] = [];
          plan.steps.forEach((stepNo, i) => {
            const ids: number[] = [];
            for (const p of plan.parts[i]) {
              if (p.type === "step") records.push({ kind: "step", run, step: stepNo, metrics: { m: stepNo } });
              else if (p.type === "event") records.push({ kind: "event", run, step: stepNo, name: "e", data: {} });
              else {
                const rows = p.type === "block" ? p.rows : 1;
                const rowIds = Array.from({ length: rows }, () => nextId++);
                ids.push(...rowIds);
                for (const id of rowIds) expectedValues.set(id, new Set(p.columns));
                if (p.type === "block") {
                  const columns: Record<string, number[]> = { id: rowIds };
                  for (const c of p.columns) columns[c] = rowIds.map((id) => cell(c, id));
                  records.push({ kind: "trajectories", run, step: stepNo, rows, columns });
                } else {
                  const values: Record<string, number> = { id: rowIds[0] };
                  for (const c of p.columns) values[c] = cell(c, rowIds[0]);
                  records.push({ kind: "trajectory", run, step: stepNo, values });
                }
              }
            }
            expectedRows.set(`${run}:${stepNo}`, ids);
          });
          return records;
        });

        // Interleave the runs as the picks say, keeping each run's own order.
        const arrival: TelemetryRecord[] = [];
        const pending = () => queues.filter((q) => q.length > 0);
        for (const pick of picks) {
          const open = pending();
          if (open.length === 0) break;
          arrival.push(open[pick % open.length].shift()!);
        }
        for (let open = pending(); open.length > 0; open = pending()) for (const q of open) arrival.push(q.shift()!);

        const report = new IngestReport();
        const g = new StepGatherer(report);
        const emitted: StepData[] = [];
        for (const record of arrival) {
          const done = g.add(record);
          if (done) emitted.push(done);
          expect(g.openSteps).toBeLessThanOrEqual(runs.length);
        }
        emitted.push(...g.finish());

        // Every step once, per run in step order.
        expect(emitted).toHaveLength(expectedRows.size);
        runs.forEach((plan, r) => {
          expect(emitted.filter((s) => s.run === `run${r}`).map((s) => s.step)).toEqual(plan.steps);
        });
        // Every row once, in its step, in arrival order, with its own cells and NaN where it had none.
        const seen = new Set<number>();
        for (const s of emitted) {
          const ids = expectedRows.get(`${s.run}:${s.step}`)!;
          const table = s.trajectories;
          if (!table) {
            expect(ids).toEqual([]);
            continue;
          }
          expect(table.rows).toBe(ids.length);
          expect(Array.from(table.columns.get("id") ?? [])).toEqual(ids);
          for (const [name, values] of table.columns) {
            if (name === "id") continue;
            ids.forEach((id, i) => {
              if (expectedValues.get(id)!.has(name)) expect(values[i]).toBe(cell(name, id));
              else {
                expect(values[i]).toBeNaN();
                expectedMissing++;
              }
            });
          }
          for (const id of ids) {
            expect(seen.has(id)).toBe(false);
            seen.add(id);
          }
        }
        expect(seen.size).toBe(nextId);
        expect(report.trajectoryRows).toBe(nextId);
        expect(report.missingCells).toBe(expectedMissing);
        expect(report.records).toBe(arrival.length);
        expect(report.problemCount).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe("StepGatherer: the replace rule (foreign logs) and flushing (live logs)", () => {
  const step = (n: number, metrics: Record<string, number> = {}): TelemetryRecord => ({
    kind: "step",
    run: "r",
    step: n,
    metrics,
  });

  it("replace: a step that comes again opens afresh and is emitted again, revised; a new late step is emitted late", () => {
    const report = new IngestReport();
    const g = new StepGatherer(report);
    const out: StepData[] = [];
    const add = (n: number, v: number) => {
      const done = g.add(step(n, { v }), { source: "f", line: n }, "replace");
      if (done) out.push(done);
    };
    [
      [1, 1],
      [2, 2],
      [1, 10],
      [3, 3],
      [5, 5],
      [4, 4],
    ].forEach(([n, v]) => {
      add(n, v);
    });
    out.push(...g.finish());
    expect(out.map((s) => [s.step, s.metrics?.v, s.revised ?? false])).toEqual([
      [1, 1, false],
      [2, 2, false],
      [1, 10, true],
      [3, 3, false],
      [5, 5, false],
      [4, 4, false],
    ]);
    expect([report.replacedSteps, report.lateSteps, report.revisedSteps, report.outOfOrderRecords]).toEqual([
      1, 1, 1, 0,
    ]);
    expect(report.skipped).toBe(0); // nothing was left unread
  });

  it("flush emits the open steps; more records for a flushed step reopen it with what it had, revised", () => {
    for (const rule of ["skip", "replace"] as const) {
      const report = new IngestReport();
      const g = new StepGatherer(report);
      g.add(step(1, { a: 1 }), undefined, rule);
      const [flushed] = g.flush();
      expect(flushed).toMatchObject({ step: 1, metrics: { a: 1 } });
      g.add(step(1, { b: 2 }), undefined, rule);
      expect(g.add(step(2), undefined, rule)).toEqual({
        run: "r",
        step: 1,
        metrics: { a: 1, b: 2 },
        events: [],
        revised: true,
      });
      expect(flushed.metrics).toEqual({ a: 1 }); // what was emitted does not change
      expect(report.problemCount).toBe(0);
      expect(report.revisedSteps).toBe(1);
    }
  });

  it("after a flush, a record for another step closes the flushed one for good", () => {
    const report = new IngestReport();
    const g = new StepGatherer(report);
    g.add(step(1));
    g.flush();
    g.add(step(2));
    expect(g.add(step(1))).toBeUndefined(); // canonical rule: skipped, reported
    expect(report.outOfOrderRecords).toBe(1);
  });
});

describe("a bound on the runs with a step open (issue 13, item 8)", () => {
  const stepOf = (run: string, step: number, reward: number): TelemetryRecord => ({
    kind: "step",
    run,
    step,
    metrics: { reward_mean: reward },
  });

  it("holds the open steps of at most maxOpenRuns runs, emitting the least recently fed first; nothing is lost", () => {
    const report = new IngestReport();
    const g = new StepGatherer(report, { maxOpenRuns: 3 });
    const out: StepData[] = [];
    let maxOpen = 0;
    // 10 one-step runs, interleaved; run-0 is fed again just before run-3 opens, so run-1 is the oldest then.
    for (let i = 0; i < 10; i++) {
      if (i === 3) g.add({ kind: "trajectory", run: "run-0", step: 1, values: { reward: 5 } });
      const done = g.add(stepOf(`run-${i}`, 1, i));
      if (done) out.push(done);
      out.push(...g.takeClosedEarly());
      maxOpen = Math.max(maxOpen, g.openSteps);
    }
    expect(maxOpen).toBe(3);
    expect(out.map((s) => s.run)).toEqual(["run-1", "run-2", "run-0", "run-3", "run-4", "run-5", "run-6"]);
    const rest = g.finish();
    expect(rest.map((s) => s.run).sort()).toEqual(["run-7", "run-8", "run-9"]);
    const all = [...out, ...rest];
    expect(all).toHaveLength(10);
    // run-0's step kept both its records: it was emitted whole, not cut.
    const run0 = all.find((s) => s.run === "run-0")!;
    expect(run0.metrics).toEqual({ reward_mean: 0 });
    expect(run0.trajectories?.rows).toBe(1);
    expect(report.stepsClosedEarly).toBe(7);
    expect(report.problemCount).toBe(0);
    expect(report.summary()).toMatch(
      /7 steps emitted before their run's next step came, to hold the open steps of at most 3 runs/,
    );
    expect(report.toJSON().stepsClosedEarly).toBe(7);
  });

  it("a record for a step emitted early opens it again: emitted a second time (revised), and reported", () => {
    const report = new IngestReport();
    const g = new StepGatherer(report, { maxOpenRuns: 2 });
    const out: StepData[] = [];
    const add = (record: TelemetryRecord, line: number) => {
      const done = g.add(record, { source: "s.jsonl", line });
      if (done) out.push(done);
      out.push(...g.takeClosedEarly());
    };
    add(stepOf("a", 1, 0.1), 1);
    add(stepOf("b", 1, 0.2), 2);
    add(stepOf("c", 1, 0.3), 3); // a:1 is emitted early
    add({ kind: "trajectory", run: "a", step: 1, values: { reward: 1 } }, 4); // more for a:1
    add(stepOf("a", 2, 0.4), 5);
    out.push(...g.finish());
    const a = out.filter((s) => s.run === "a");
    expect(a.map((s) => [s.step, s.revised ?? false])).toEqual([
      [1, false],
      [1, true],
      [2, false],
    ]);
    expect(a[0].metrics).toEqual({ reward_mean: 0.1 });
    expect(a[1].trajectories?.rows).toBe(1);
    expect(report.lateSteps).toBe(1);
    expect(report.problems[0]).toMatchObject({ source: "s.jsonl", line: 4 });
    expect(report.problems[0].reason).toMatch(
      /step 1 of run "a" arrived after the step was emitted early \(more than 2 runs had a step open\); emitted again \(revised\)/,
    );
    // Every step of every run came out; none twice except the revision.
    expect(out.map((s) => `${s.run}:${s.step}`).sort()).toEqual(["a:1", "a:1", "a:2", "b:1", "c:1"]);
  });

  it("remembers at most maxRememberedRuns runs: one not fed for a while is forgotten, counted, and starts afresh", () => {
    const report = new IngestReport();
    // Two generations of fewer than 2 runs each: the last 2 distinct runs fed are always remembered.
    const g = new StepGatherer(report, { maxOpenRuns: 1, maxRememberedRuns: 4 });
    const out: StepData[] = [];
    const add = (record: TelemetryRecord, line: number) => {
      const done = g.add(record, { source: "s.jsonl", line });
      if (done) out.push(done);
      out.push(...g.takeClosedEarly());
      expect(g.rememberedRuns).toBeLessThanOrEqual(4);
    };
    add(stepOf("a", 5, 0.1), 1);
    add(stepOf("b", 1, 0.2), 2);
    add(stepOf("c", 1, 0.3), 3);
    // a is remembered: a record for a step it moved past is out of order.
    add(stepOf("a", 3, 0.9), 4);
    expect(report.outOfOrderRecords).toBe(1);
    add(stepOf("d", 1, 0.4), 5);
    add(stepOf("e", 1, 0.5), 6);
    add(stepOf("f", 1, 0.6), 7);
    add(stepOf("g", 1, 0.7), 8);
    expect(report.runsForgotten).toBeGreaterThan(0);
    // b, not fed since line 2, comes back for an older step: it starts afresh, so the order check cannot see it
    // (the price of the bound), and its step is used.
    add(stepOf("b", 0, 0.8), 9);
    expect(report.outOfOrderRecords).toBe(1);
    // g, among the last 2 runs fed, is remembered.
    add(stepOf("g", 0, 0.9), 10);
    expect(report.outOfOrderRecords).toBe(2);
    out.push(...g.finish());
    expect(out.map((s) => `${s.run}:${s.step}`).sort()).toEqual([
      "a:5",
      "b:0",
      "b:1",
      "c:1",
      "d:1",
      "e:1",
      "f:1",
      "g:1",
    ]);
    expect(report.boundReached).toBe(true);
    expect(report.toJSON().runsForgotten).toBe(report.runsForgotten);
    expect(report.summary()).toMatch(/runs? forgotten \(their newest step and source\), to remember at most 4 runs/);
  });

  it("never forgets a run with a step open; memory stays bounded over many runs, and every step comes out", () => {
    const report = new IngestReport();
    const g = new StepGatherer(report, { maxOpenRuns: 2, maxRememberedRuns: 6 });
    const out: StepData[] = [];
    let maxRemembered = 0;
    for (let i = 0; i < 1000; i++) {
      // Two runs fed all along; two one-step runs come between.
      for (const run of ["x", "y", `one-${i}`, `two-${i}`]) {
        const done = g.add(stepOf(run, i, i));
        if (done) out.push(done);
        out.push(...g.takeClosedEarly());
        maxRemembered = Math.max(maxRemembered, g.rememberedRuns);
      }
    }
    out.push(...g.finish());
    expect(maxRemembered).toBeLessThanOrEqual(6);
    expect(report.runsForgotten).toBeGreaterThan(1900);
    // Every (run, step) came out once: nothing was dropped or emitted twice by forgetting.
    const keys = out.map((s) => `${s.run}:${s.step}`);
    expect(new Set(keys).size).toBe(4000);
    expect(keys).toHaveLength(4000);
    expect(report.problemCount).toBe(0);
    expect(() => new StepGatherer(report, { maxOpenRuns: 4, maxRememberedRuns: 9 })).toThrow(/maxRememberedRuns/);
  });

  it("lists the first maxListedRuns run names and counts the rest, each once while remembered", () => {
    const report = new IngestReport({ maxListedRuns: 3 });
    const g = new StepGatherer(report, { maxOpenRuns: 1, maxRememberedRuns: 10 });
    for (const run of ["a", "b", "a", "c", "d", "e", "d", "b", "f"]) g.add(stepOf(run, 0, 0));
    g.finish();
    expect(report.runs).toEqual(["a", "b", "c"]);
    expect(report.runsUnlisted).toBe(3);
    expect(report.runCount).toBe(6);
    expect(report.toJSON()).toMatchObject({ runs: ["a", "b", "c"], runsUnlisted: 3 });
    expect(report.boundReached).toBe(true);
    expect(report.summary()).toMatch(/of 6 runs/);
    expect(report.summary()).toMatch(/3 runs past the first 3 are counted, not listed/);
  });

  it("readTelemetry takes the bound as an option and gives every step of many one-step runs", async () => {
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify(stepOf(`r${i}`, 1, i))).join("\n");
    const { steps, report } = readTelemetry([{ name: "many", stream: Readable.from([lines]) }], { maxOpenRuns: 4 });
    const out = await collect(steps);
    expect(out).toHaveLength(50);
    expect(new Set(out.map((s) => s.run)).size).toBe(50);
    expect(report.stepsClosedEarly).toBe(46);
    expect(() => new StepGatherer(report, { maxOpenRuns: 0 })).toThrow(/maxOpenRuns/);
  });
});
