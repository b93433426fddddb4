/** Bad input in foreign logs: each case handled and reported, never a crash, never a silent drop. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { formatFixture, readAll, tempDir } from "./helpers.js";

const dir = tempDir();
const file = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const verlLine = (step: number, score: number) =>
  `(TaskRunner pid=7) step:${step} - critic/score/mean:${score} - actor/entropy:0.5`;
const fileLine = (step: number, score: number) => JSON.stringify({ step, data: { "critic/score/mean": score } });

describe("truncated last lines of a live log", () => {
  it("verl console: a cut step line would parse as a shorter step, so it is skipped and reported", async () => {
    const path = file("cut.log", `${verlLine(1, 0.5)}\n${verlLine(2, 0.6).slice(0, 60)}`);
    const { steps, report } = await readAll([path]);
    expect(steps.map((s) => s.step)).toEqual([1]);
    expect(report.problems).toEqual([
      {
        source: path,
        line: 2,
        reason: expect.stringMatching(/^verl step line: incomplete \(the last line has no line end/),
      },
    ]);
  });

  it("JSON lines: a cut line is reported as such; a whole last line without a line end is read", async () => {
    const cut = file("cut.jsonl", `${fileLine(1, 0.5)}\n${fileLine(2, 0.6).slice(0, 20)}`);
    const a = await readAll([cut]);
    expect(a.steps.map((s) => s.step)).toEqual([1]);
    expect(a.report.problems[0]).toMatchObject({ line: 2, reason: expect.stringMatching(/may have been cut off/) });
    const whole = file("whole.jsonl", `${fileLine(1, 0.5)}\n${fileLine(2, 0.6)}`);
    expect((await readAll([whole])).steps.map((s) => s.step)).toEqual([1, 2]);
  });

  it("W&B CSV: a cut row is skipped and reported", async () => {
    const path = file("cut.csv", "_step,train/reward\n1,0.5\n2,0.6");
    const { steps, report } = await readAll([path]);
    expect(steps.map((s) => s.step)).toEqual([1]);
    expect(report.malformedLines).toBe(1);
  });
});

describe("mixed output and malformed lines", () => {
  it("reads the metric lines around unrelated output and malformed ones, reporting each malformed line", async () => {
    const path = file(
      "mixed.jsonl",
      `${[
        fileLine(1, 0.5),
        "Traceback (most recent call last):",
        fileLine(2, 0.6),
        '{"step": "x", "data": {}}',
        fileLine(3, 0.7),
      ].join("\n")}\n`,
    );
    const { steps, report } = await readAll([path]);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    expect(report.problems.map((p) => p.line)).toEqual([2, 4]);
    expect(report.malformedLines).toBe(2);
  });

  it("reports a value that is not a number once per key, and uses the rest of the record", async () => {
    const lines = [1, 2].map((step) => JSON.stringify({ step, data: { "critic/score/mean": 0.5, note: "warm-up" } }));
    const path = file("text.jsonl", `${lines.join("\n")}\n`);
    const { steps, report } = await readAll([path]);
    expect(steps.map((s) => s.metrics)).toEqual([{ reward_mean: 0.5 }, { reward_mean: 0.5 }]);
    expect(report.unusableValues).toBe(1);
    expect(report.problems[0]).toMatchObject({ line: 1, field: "metrics.note" });
  });
});

describe("a partially written gzip file", () => {
  it("yields the steps before the cut and reports the source", async () => {
    const text = `${Array.from({ length: 400 }, (_, i) => verlLine(i + 1, i / 400)).join("\n")}\n`;
    const whole = gzipSync(text);
    const path = file("partial.log.gz", whole.subarray(0, whole.length - 30));
    const { steps, report } = await readAll([path]);
    expect(steps.length).toBeGreaterThan(300);
    expect(steps.map((s) => s.step)).toEqual(steps.map((_, i) => i + 1));
    expect(report.formats.get(path)).toBe("verl-console");
    expect(report.sourceErrors).toBe(1);
    expect(report.problems[0].reason).toMatch(/^gzip data is truncated or corrupt/);
  });

  it("reports a gzipped Parquet file cut short, and goes on with the next source", async () => {
    const parquet = readFileSync(formatFixture("trl-completions/completions_00001.parquet"));
    const zipped = gzipSync(parquet);
    const path = file("cut.parquet.gz", zipped.subarray(0, zipped.length - 200));
    const { steps, report } = await readAll([path, formatFixture("verl-file.jsonl")]);
    expect(steps.map((s) => s.step)).toEqual([1, 2]); // the JSONL's
    expect(report.sourceErrors).toBeGreaterThanOrEqual(1);
    expect(report.problems.every((p) => p.source === path)).toBe(true);
  });
});

describe("duplicated and out-of-order steps in a foreign log: later record wins, reported", () => {
  it("re-emits a step logged again after a resume, marked revised, and emits a late step late", async () => {
    const order: Array<[number, number]> = [
      [1, 0.1],
      [2, 0.2],
      [3, 0.3],
      [2, 0.22],
      [3, 0.33],
      [4, 0.4],
      [6, 0.6],
      [5, 0.5],
    ];
    const path = file("resumed.jsonl", `${order.map(([s, v]) => fileLine(s, v)).join("\n")}\n`);
    const { steps, report } = await readAll([path]);
    expect(steps.map((s) => [s.step, s.metrics?.reward_mean, s.revised ?? false])).toEqual([
      [1, 0.1, false],
      [2, 0.2, false],
      [3, 0.3, false],
      [2, 0.22, true],
      [3, 0.33, true],
      [4, 0.4, false],
      [6, 0.6, false],
      [5, 0.5, false],
    ]);
    expect(report.replacedSteps).toBe(2);
    expect(report.lateSteps).toBe(1);
    expect(report.revisedSteps).toBe(2);
    expect(report.problems.map((p) => [p.line, p.reason])).toEqual([
      [
        4,
        'step: step 2 of run "' +
          path +
          '" arrived again after step 3; the later record replaces the earlier one (later record wins)',
      ],
      [
        5,
        'step: step 3 of run "' +
          path +
          '" arrived again after step 3; the later record replaces the earlier one (later record wins)',
      ],
      [8, `step: step 5 of run "${path}" arrived after step 6; used, emitted late`],
    ]);
    expect(report.summary()).toContain(
      "2 steps arrived again (the later record replaced the earlier); 1 step arrived out of order (used, emitted late):",
    );
  });
});

describe("missing metrics", () => {
  it("leaves a metric absent where it is missing (never zero) and lists it per run", async () => {
    const path = file("gaps.csv", "_step,train/reward,train/kl\n1,0.5,0.01\n2,0.6,\n3,0.7,0.03\n");
    const { steps, report } = await readAll([path]);
    expect(steps.map((s) => s.metrics)).toEqual([
      { reward_mean: 0.5, kl_ref: 0.01 },
      { reward_mean: 0.6 },
      { reward_mean: 0.7, kl_ref: 0.03 },
    ]);
    expect(report.missingMetrics).toEqual({ [path]: { kl_ref: 1 } });
    expect(report.summary()).toContain(
      `run ${path}: metrics missing on some steps (absent there, not zero): kl_ref (1 of 3)`,
    );
  });
});

describe("corrupt columnar files", () => {
  it("reports a Parquet file that is not readable, and goes on", async () => {
    const bad = file("bad.parquet", Buffer.concat([Buffer.from("PAR1"), Buffer.alloc(64, 7), Buffer.from("PAR1")]));
    const { report } = await readAll([bad]);
    expect(report.sourceErrors).toBe(1);
    expect(report.problems[0].reason).toMatch(/^not a readable parquet file/);
  });
});
