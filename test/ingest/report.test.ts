import { describe, expect, it } from "vitest";
import { IngestReport, type Problem } from "../../src/index.js";
import { MAX_COVERED_METRICS } from "../../src/ingest/report.js";

const problem = (line: number): Problem => ({ source: "f.jsonl", line, reason: `bad ${line}` });

describe("IngestReport", () => {
  it("keeps the first problems up to the cap and counts them all", () => {
    const report = new IngestReport({ maxProblems: 2 });
    for (let line = 1; line <= 5; line++) report.addProblem(problem(line), line === 5 ? "source" : "malformed");
    expect(report.problems).toEqual([problem(1), problem(2)]);
    expect(report.problemCount).toBe(5);
    expect(report.skipped).toBe(5);
    expect(report.malformedLines).toBe(4);
    expect(report.sourceErrors).toBe(1);
    expect(report.summary().split("\n").slice(2)).toEqual([
      "skipped 4 malformed lines; 1 source could not be read to the end:",
      "  f.jsonl:1: bad 1",
      "  f.jsonl:2: bad 2",
      "  ... and 3 more",
    ]);
  });

  it("calls onProblem for every problem, past the cap too", () => {
    const calls: number[] = [];
    const report = new IngestReport({ maxProblems: 0, onProblem: (p) => calls.push(p.line) });
    report.addProblem(problem(1), "malformed");
    report.addProblem(problem(2), "outOfOrder");
    expect(calls).toEqual([1, 2]);
    expect(report.problems).toEqual([]);
  });

  it("says so when there were no problems", () => {
    const report = new IngestReport();
    report.sources = 1;
    report.lines = 1;
    report.noteRecord("step", "r");
    report.steps = 1;
    expect(report.summary()).toBe(
      "read 1 line from 1 source: 1 record (1 step, 0 trajectories, 0 trajectory, 0 event)\n" +
        "gathered 1 step of 1 run, 0 trajectory rows, 0 missing cells\n" +
        "no problems: 0 malformed lines, 0 out-of-order records, every source read to the end",
    );
  });

  it("turns into a plain JSON object", () => {
    const report = new IngestReport();
    report.noteRecord("event", "r1");
    report.noteRecord("trajectory", "r2");
    report.addProblem({ ...problem(3), field: "step" }, "outOfOrder");
    report.noteInferred("c.log", 2, "by order");
    report.noteInferred("c.log", 1, "by order");
    const json = JSON.parse(JSON.stringify(report));
    expect(json).toEqual({
      sources: 0,
      lines: 0,
      records: 2,
      recordsByKind: { step: 0, trajectories: 0, trajectory: 1, event: 1 },
      steps: 0,
      runs: ["r1", "r2"],
      runsUnlisted: 0,
      trajectoryRows: 0,
      missingCells: 0,
      malformedLines: 0,
      outOfOrderRecords: 1,
      sourceErrors: 0,
      replacedSteps: 0,
      lateSteps: 0,
      unusableValues: 0,
      skipped: 1,
      problemCount: 1,
      problems: [{ source: "f.jsonl", line: 3, reason: "bad 3", field: "step" }],
      otherLines: 0,
      revisedSteps: 0,
      formats: {},
      inferredSteps: 3,
      stepInference: { "c.log": { steps: 3, how: ["by order"] } },
      missingMetrics: {},
      coverageUntracked: { metricNames: 0, runs: 0 },
      stepsClosedEarly: 0,
      runsForgotten: 0,
      rotations: 0,
      undecidedReleases: 0,
    });
  });

  it("counts a rotation as a note, not a problem: the summary says so and still finds no problems", () => {
    const report = new IngestReport();
    report.noteRotation({ source: "live.log", line: 7, reason: "live.log was replaced by a new file (rotated)" });
    report.noteRotation({ source: "live.log", line: 3, reason: "live.log was replaced by a new file (rotated)" });
    expect(report.problemCount).toBe(0);
    expect(report.toJSON()).toMatchObject({ rotations: 2, sourceErrors: 0, problems: [] });
    const summary = report.summary();
    expect(summary).toContain("no problems");
    expect(summary).toContain(
      "followed 2 rotations, each old file read to its end first (the latest: live.log:3: live.log was replaced by a new file (rotated))",
    );
  });
});

describe("IngestReport bounds", () => {
  it("tracks the coverage of at most MAX_COVERED_METRICS names per run, and says when it drops some", () => {
    const report = new IngestReport();
    const metrics: Record<string, number> = {};
    for (let i = 0; i < MAX_COVERED_METRICS + 10; i++) metrics[`m${i}`] = i;
    report.noteStepMetrics("r", metrics);
    report.noteStepMetrics("r", { m0: 1 });
    expect(report.toJSON().coverageUntracked).toEqual({ metricNames: 10, runs: 0 });
    // m0 is on both steps; the other tracked names on one of two; the 10 past the bound are not listed.
    expect(Object.keys(report.missingMetrics.r)).toHaveLength(MAX_COVERED_METRICS - 1);
    expect(report.summary()).toContain("metric coverage is tracked for at most");
  });
});
