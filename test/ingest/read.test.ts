import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  CANONICAL_METRICS,
  CANONICAL_TRAJECTORY_COLUMNS,
  gatherSteps,
  IngestReport,
  type Problem,
  type ProblemCause,
  readRecords,
  readTelemetry,
} from "../../src/index.js";
import { collect, example, fixture, tempDir } from "../telemetry/helpers.js";

const dir = tempDir();

describe("readTelemetry: malformed lines", () => {
  it("skips, counts and reports each malformed line with its number, and reads the valid lines after them", async () => {
    const seen: Array<[number, ProblemCause]> = [];
    const path = fixture("malformed.jsonl");
    const { steps, report } = readTelemetry([path], { onProblem: (p, cause) => seen.push([p.line, cause]) });
    const out = await collect(steps);

    expect(out.map((s) => [s.run, s.step, s.metrics])).toEqual([
      ["r", 0, { reward_mean: 1 }],
      ["r", 1, { reward_mean: 2 }],
      ["r", 2, { reward_mean: 4 }],
      ["7", 1, { reward_mean: 5 }],
    ]);
    expect(out[1].trajectories?.rows).toBe(2);

    // Lines 2..16 are malformed but for line 10, a step record with one bad metric: kept, its bad value reported.
    const malformed = Array.from({ length: 15 }, (_, i) => i + 2).filter((l) => l !== 10);
    expect(report.malformedLines).toBe(14);
    expect(report.unusableValues).toBe(1);
    expect(report.outOfOrderRecords).toBe(1);
    expect(report.problems.map((p) => p.line)).toEqual([...malformed.slice(0, 8), 10, ...malformed.slice(8), 19]);
    const cause = (l: number): [number, ProblemCause] => [l, l === 10 ? "value" : "malformed"];
    expect(seen).toEqual([...[...malformed, 10].sort((a, b) => a - b).map(cause), [19, "outOfOrder"]]);
    expect(report.problems.every((p) => p.source === path)).toBe(true);

    const reasons = new Map(report.problems.map((p: Problem) => [p.line, p.reason]));
    expect(reasons.get(10)).toBe('metrics.kl_ref: expected a number, got "abc"; left out, the rest of the record used');
    expect(reasons.get(11)).toBe("columns.group has 7 values but columns.reward has 8 (lengths: reward 8, group 7)");
    expect(reasons.get(19)).toMatch(/^step: step record for step 0 of run "r" arrived after step 1/);

    expect(report.lines).toBe(21);
    expect(report.records).toBe(7);
    expect(report.steps).toBe(4);
    expect(report.runs).toEqual(["r", "7"]);
  });

  it("summarises the scan in readable lines", async () => {
    const path = fixture("malformed.jsonl");
    const { steps, report } = readTelemetry([path], { maxProblems: 3 });
    await collect(steps);
    const lines = report.summary().split("\n");
    expect(lines[0]).toBe("read 21 lines from 1 source: 7 records (6 step, 1 trajectories, 0 trajectory, 0 event)");
    expect(lines[1]).toBe("gathered 4 steps of 2 runs, 2 trajectory rows, 0 missing cells");
    expect(lines[2]).toBe(
      "skipped 14 malformed lines; skipped 1 out-of-order record; 1 value not a number (left out):",
    );
    expect(lines[3]).toMatch(new RegExp(`^  ${path}:2: not valid JSON: `));
    expect(lines[4]).toBe(`  ${path}:3: expected a JSON object, got an array`);
    expect(lines[5]).toBe(`  ${path}:4: kind: missing`);
    expect(lines[6]).toBe("  ... and 13 more");
    expect(lines).toHaveLength(7);
  });
});

describe("readTelemetry: sources", () => {
  it("reads files, gzip files and streams in one scan; a bad source does not stop it", async () => {
    const plain = join(dir, "a.jsonl");
    writeFileSync(
      plain,
      '{"kind":"step","run":"a","step":0,"metrics":{"x":1}}\r\n{"kind":"step","run":"a","step":1,"metrics":{"x":2}}\r\n',
    );
    const gz = join(dir, "b.jsonl.gz");
    writeFileSync(gz, gzipSync('{"kind":"trajectories","run":"b","step":3,"columns":{"reward":[1,0]}}\n'));
    const truncated = join(dir, "c.jsonl.gz");
    const whole = gzipSync(
      Array.from({ length: 500 }, (_, i) => `{"kind":"step","run":"c","step":${i},"metrics":{"x":${i}}}`).join("\n"),
    );
    writeFileSync(truncated, whole.subarray(0, whole.length - 40));
    const stdinLike = Readable.from(['{"kind":"event","run":"d","step":0,"name":"resume"}\n']);

    const { steps, report } = readTelemetry([plain, join(dir, "missing.jsonl"), gz, truncated, stdinLike]);
    const out = await collect(steps);
    expect(out.filter((s) => s.run === "a").map((s) => s.metrics?.x)).toEqual([1, 2]);
    expect(out.find((s) => s.run === "b")?.trajectories?.rows).toBe(2);
    const cSteps = out.filter((s) => s.run === "c").map((s) => s.step);
    expect(cSteps.length).toBeGreaterThan(400);
    expect(cSteps).toEqual(cSteps.map((_, i) => i));
    expect(out.find((s) => s.run === "d")?.events[0].name).toBe("resume");

    expect(report.sources).toBe(5);
    expect(report.sourceErrors).toBe(2);
    expect(report.problems.map((p) => p.source)).toEqual([join(dir, "missing.jsonl"), truncated]);
    expect(report.problems[1].line).toBe(cSteps.length);
    expect(report.summary()).toContain("2 sources could not be read to the end:");
  });

  it("reads nothing until iterated", async () => {
    const { steps, report } = readTelemetry([fixture("interleaved.jsonl")]);
    expect(report.lines).toBe(0);
    await collect(steps);
    expect(report.lines).toBe(11);
  });

  it("readRecords then gatherSteps counts every record once", async () => {
    const report = new IngestReport();
    const out = await collect(gatherSteps(readRecords([fixture("interleaved.jsonl")], report), report));
    expect(out).toHaveLength(4);
    expect(report.records).toBe(11);
    expect(report.lines).toBe(11);
  });
});

describe("the built-in example", () => {
  it("is two interleaved synthetic GRPO runs that read without a problem", async () => {
    const path = example("small-run.jsonl");
    expect(readFileSync(path).length).toBeLessThan(1_000_000);
    const { steps, report } = readTelemetry([path]);
    const out = await collect(steps);
    expect(report.problemCount).toBe(0);
    expect(report.runs).toEqual(["demo-healthy", "demo-entropy-collapse"]);
    expect(out).toHaveLength(80);
    expect(report.recordsByKind).toEqual({ step: 80, trajectories: 80, trajectory: 0, event: 8 });

    for (const s of out) {
      expect(s.trajectories?.rows).toBe(64);
      expect([...(s.trajectories?.columns.keys() ?? [])].sort()).toEqual([...CANONICAL_TRAJECTORY_COLUMNS].sort());
      expect(s.trajectories?.missingCells).toBe(0);
      for (const name of Object.keys(s.metrics ?? {})) expect(CANONICAL_METRICS).toContain(name);
      expect(s.events.map((e) => e.name)).toEqual(s.step % 10 === 0 ? ["checkpoint"] : []);
    }

    // The collapsing run's entropy and its share of zero-variance groups, first vs last steps.
    const collapse = out.filter((s) => s.run === "demo-entropy-collapse");
    const zeroVarGroups = (s: (typeof out)[number]) => {
      const reward = s.trajectories!.columns.get("reward")!;
      const group = s.trajectories!.columns.get("group")!;
      const byGroup = new Map<number, Set<number>>();
      for (let i = 0; i < reward.length; i++) {
        if (!byGroup.has(group[i])) byGroup.set(group[i], new Set());
        byGroup.get(group[i])!.add(reward[i]);
      }
      return [...byGroup.values()].filter((rewards) => rewards.size === 1).length;
    };
    const firstTen = collapse.slice(0, 10);
    const lastTen = collapse.slice(-10);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(lastTen.map((s) => s.metrics!.entropy))).toBeLessThan(
      mean(firstTen.map((s) => s.metrics!.entropy)) / 4,
    );
    expect(mean(lastTen.map(zeroVarGroups))).toBeGreaterThan(mean(firstTen.map(zeroVarGroups)) + 3);
  });
});

describe("readTelemetry: one bad value, one run read twice", () => {
  it("keeps a canonical line's valid metrics and reports the bad field", async () => {
    const path = join(dir, "bad-value.jsonl");
    writeFileSync(
      path,
      [
        '{"kind":"step","run":"r","step":0,"metrics":{"reward_mean":1,"kl_ref":0.1}}',
        '{"kind":"step","run":"r","step":1,"metrics":{"reward_mean":2,"kl_ref":"abc","entropy":{}}}',
      ].join("\n"),
    );
    const { steps, report } = readTelemetry([path]);
    const out = await collect(steps);
    expect(out.map((s) => s.metrics)).toEqual([{ reward_mean: 1, kl_ref: 0.1 }, { reward_mean: 2 }]);
    expect(report.malformedLines).toBe(0);
    expect(report.unusableValues).toBe(2);
    expect(report.problems.map((p) => [p.line, p.field])).toEqual([
      [2, "metrics.kl_ref"],
      [2, "metrics.entropy"],
    ]);
  });

  it("reports the same run read twice (run.jsonl and run.jsonl.gz) instead of merging its last step", async () => {
    const lines = [0, 1, 2].map(
      (step) =>
        `{"kind":"step","run":"r","step":${step},"metrics":{"reward_mean":${step}}}\n` +
        `{"kind":"trajectories","run":"r","step":${step},"columns":{"reward":[1,0,1,0]}}`,
    );
    const plain = join(dir, "twice.jsonl");
    writeFileSync(plain, `${lines.join("\n")}\n`);
    writeFileSync(`${plain}.gz`, gzipSync(readFileSync(plain)));
    const { steps, report } = readTelemetry([plain, `${plain}.gz`]);
    const out = await collect(steps);
    expect(out.map((s) => [s.step, s.trajectories?.rows])).toEqual([
      [0, 4],
      [1, 4],
      [2, 4],
    ]);
    expect(report.outOfOrderRecords).toBe(6);
    expect(report.problems[0].reason).toContain(`came from ${plain} until now: the same run read twice?`);
    expect(report.problems.every((p) => p.source === `${plain}.gz`)).toBe(true);
  });
});

describe("readTelemetry: a directory with links and special files", () => {
  it("follows symbolic links to files, reports dangling links and FIFOs", async () => {
    const { mkdirSync, symlinkSync } = await import("node:fs");
    const { execFileSync } = await import("node:child_process");
    const root = join(dir, "linked");
    mkdirSync(join(root, "scanned"), { recursive: true });
    const target = join(root, "run.jsonl");
    writeFileSync(target, '{"kind":"step","run":"l","step":0,"metrics":{"x":1}}\n');
    symlinkSync(target, join(root, "scanned", "1.jsonl"));
    symlinkSync(join(root, "missing.jsonl"), join(root, "scanned", "2.jsonl"));
    execFileSync("mkfifo", [join(root, "scanned", "3.fifo")]);
    const { steps, report } = readTelemetry([join(root, "scanned")]);
    const out = await collect(steps);
    expect(out.map((s) => [s.run, s.step])).toEqual([["l", 0]]);
    expect(report.sources).toBe(1);
    expect(report.sourceErrors).toBe(2);
    expect(report.problems.map((p) => p.reason)).toEqual([
      `${join(root, "scanned", "2.jsonl")} is a symbolic link that leads nowhere (dangling); skipped`,
      `${join(root, "scanned", "3.fifo")} is not a regular file (a FIFO: reading it would wait for a writer); skipped`,
    ]);
  });
});

describe("readTelemetry: bounded memory for text no format claims", () => {
  it("holds at most MAX_UNDECIDED_CHARS of unclaimed lines, however long they are", async () => {
    const { MAX_UNDECIDED_CHARS } = await import("../../src/ingest/detect.js");
    const long = "x".repeat(1 << 20);
    const lines = Array.from({ length: Math.ceil((2 * MAX_UNDECIDED_CHARS) / long.length) }, () => long);
    // After the plain text, a canonical line: claimed, read, and the text before it counted as other output.
    lines.push('{"kind":"step","run":"u","step":0,"metrics":{"x":1}}');
    const { steps, report } = readTelemetry([Readable.from(lines.map((l) => `${l}\n`))]);
    const out = await collect(steps);
    expect(out.map((s) => s.run)).toEqual(["u"]);
    // The held text was let go once it passed the bound: counted as other output, not held to the end.
    expect(report.otherLines).toBeGreaterThanOrEqual(Math.floor(MAX_UNDECIDED_CHARS / long.length));
    // And the report says that a bound let them go (issue 13 item 8: a bound that drops detail says so).
    expect(report.undecidedReleases).toBeGreaterThanOrEqual(1);
    expect(report.boundReached).toBe(true);
    expect(report.summary()).toMatch(
      new RegExp(`a source held ${MAX_UNDECIDED_CHARS} characters of lines without a line any format claims`),
    );
  });
});
