/**
 * Step numbers of the HF Trainer's console dicts, which carry none: from the
 * progress bar when stdout was printed at once, and from the dict's order and
 * the logging interval when stdout was block-buffered (the dicts then arrive
 * in bursts after the bar, and a buffer flush can cut a dict line in two).
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { watchTelemetry } from "../../../src/index.js";
import { BarSteps, HOW, MAX_HELD } from "../../../src/ingest/parse/bar-steps.js";
import { splitConsoleLine } from "../../../src/ingest/parse/console-line.js";
import { collect, formatFixture, readAll, tempDir } from "./helpers.js";

const EVERY_OTHER = Array.from({ length: 30 }, (_, i) => 2 * (i + 1));

describe("a block-buffered TRL GRPO console log (logging_steps=2, 60 steps, 2 KB stdout buffer)", () => {
  for (const mode of ["block", "whole"]) {
    it(`${mode} flushes: every dict is a step of its own, 2, 4, ..., 60, and the report says they were inferred`, async () => {
      const path = formatFixture(`trl-console-buffered-${mode}.log`);
      const { steps, report } = await readAll([path]);
      expect(steps.map((s) => s.step)).toEqual(EVERY_OTHER);
      expect(steps.every((s) => !s.revised)).toBe(true);
      // Each step holds its own dict: the epoch the dict carried is its step's, rounded as the trainer printed it.
      for (const s of steps) expect(s.metrics?.epoch).toBeCloseTo(Math.round((s.step / 60) * 100) / 100, 10);
      // The end-of-training summary joins the last step.
      expect(steps.at(-1)!.metrics).toMatchObject({ train_runtime: 307.2, train_loss: 0.0042 });
      expect(report.recordsByKind.step).toBe(31);
      expect(report.problemCount).toBe(0);
      expect(report.inferredSteps).toBe(30);
      expect(report.toJSON().stepInference).toEqual({ [path]: { steps: 30, how: [HOW.buffered(2, 0)] } });
      expect(report.summary()).toContain(`${path}: 30 steps numbered by inference: stdout was block-buffered`);
    });
  }

  it("the fixtures are what the generator writes", () => {
    const dir = tempDir();
    const script = formatFixture("make-trl-console-buffered.py");
    const copy = join(dir, "make.py");
    writeFileSync(copy, readFileSync(script));
    execFileSync("python3", [copy]);
    for (const mode of ["block", "whole"]) {
      const name = `trl-console-buffered-${mode}.log`;
      expect(readFileSync(join(dir, name)).equals(readFileSync(formatFixture(name))), name).toBe(true);
    }
  });

  it("gives the same steps, in order and each once, when the log is watched as it is written", async () => {
    const dir = tempDir();
    const path = join(dir, "run.log");
    const bytes = readFileSync(formatFixture("trl-console-buffered-block.log"));
    writeFileSync(path, "");
    const { steps, report } = watchTelemetry(path, { pollMs: 5, settleMs: 20, exitAfterMs: 400 });
    const writer = (async () => {
      for (let at = 0; at < bytes.length; at += 1500) {
        appendFileSync(path, bytes.subarray(at, at + 1500));
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();
    const seen = await collect(steps);
    await writer;
    expect(seen.map((s) => s.step)).toEqual(EVERY_OTHER);
    expect(report.problemCount).toBe(0);
    expect(report.inferredSteps).toBe(30);
  });
});

describe("a console log printed at once", () => {
  it("takes each dict's step from the bar, infers nothing", async () => {
    const path = formatFixture("trl-console.log");
    const { steps, report } = await readAll([path]);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    expect(report.inferredSteps).toBe(0);
  });

  it("without a bar, numbers dicts in order and says so", async () => {
    const path = formatFixture("trl-console-strings.log");
    const { steps, report } = await readAll([path]);
    expect(steps.map((s) => s.step)).toEqual([1, 2]);
    expect(report.inferredSteps).toBe(2);
    expect(report.toJSON().stepInference[path].how).toEqual([HOW.noBar]);
  });
});

/** Runs a script of bar draws and dicts through the numbering: `[count]` draws the bar, a string is a dict. */
function number(script: Array<number | string | [string, "cut" | "summary"]>, total = 1000) {
  const out: Array<[string, number]> = [];
  const how: string[] = [];
  let inferred = 0;
  const steps = new BarSteps<string>({
    emit: (item, step) => out.push([item, step]),
    inferred: (n, h) => {
      inferred += n;
      if (!how.includes(h)) how.push(h);
    },
  });
  for (const item of script) {
    if (typeof item === "number") steps.bar(item, total);
    else if (typeof item === "string") steps.dict(item, true, false);
    else steps.dict(item[0], item[1] !== "summary", item[1] === "cut");
  }
  const beforeEnd = out.length;
  steps.end();
  return { out, how, inferred, beforeEnd };
}

/** Bars 0..last, with a dict every k steps written into a buffer that goes out every `burst` dicts. */
function bufferedScript(k: number, last: number, burst: number, start = 0, firstBar = start) {
  const script: Array<number | string> = [firstBar];
  let buffer: string[] = [];
  for (let step = start + 1; step <= last; step++) {
    script.push(step);
    if (step % k === 0) buffer.push(`s${step}`);
    if (buffer.length === burst) {
      script.push(...buffer);
      buffer = [];
    }
  }
  script.push(...buffer);
  return script;
}

describe("BarSteps", () => {
  it("a direct log: each dict's step is the bar's count, whatever the interval", () => {
    const { out, inferred } = number([0, 1, 2, 3, "a", 4, 5, "b", 6, 7, 8, 9, 10, "c"]);
    expect(out).toEqual([
      ["a", 3],
      ["b", 5],
      ["c", 10],
    ]);
    expect(inferred).toBe(0);
  });

  it("holds a direct log's newest dict until the next (it may start a burst), and gives it out when the log goes idle", () => {
    const out: Array<[string, number]> = [];
    const steps = new BarSteps<string>({ emit: (item, step) => out.push([item, step]), inferred: () => {} });
    steps.bar(0, 10);
    steps.bar(1, 10);
    steps.dict("a", true, false);
    expect(out).toEqual([]);
    steps.idle();
    expect(out).toEqual([["a", 1]]);
  });

  for (const [k, burst] of [
    [1, 7],
    [2, 5],
    [5, 3],
    [10, 4],
    [3, 2],
  ]) {
    it(`buffered, logging interval ${k}, bursts of ${burst}: steps k, 2k, ..., in order`, () => {
      const { out, how } = number(bufferedScript(k, 200, burst));
      const expected = Array.from({ length: Math.floor(200 / k) }, (_, i) => k * (i + 1));
      expect(out.map(([, step]) => step)).toEqual(expected);
      expect(out.map(([item]) => item)).toEqual(expected.map((s) => `s${s}`));
      expect(how).toEqual([HOW.buffered(k, 0)]);
    });
  }

  it("a resumed run (the bar starts at 101): steps go on from 100", () => {
    const { out, how } = number(bufferedScript(5, 300, 4, 100, 0));
    expect(out.map(([, step]) => step)).toEqual(Array.from({ length: 40 }, (_, i) => 105 + 5 * i));
    expect(how).toEqual([HOW.buffered(5, 100)]);
  });

  it("a log that begins mid-run (first bar at 57): steps are the multiples of the interval after it", () => {
    const script = bufferedScript(10, 300, 3, 57);
    const { out } = number(script);
    expect(out.map(([, step]) => step)).toEqual(Array.from({ length: 25 }, (_, i) => 60 + 10 * i));
  });

  it("gives out a settled burst at once, not at the end", () => {
    const { beforeEnd, out } = number(bufferedScript(2, 200, 5));
    expect(out).toHaveLength(100);
    expect(beforeEnd).toBeGreaterThanOrEqual(95);
  });

  it("no constant interval fits: the bar's counts, moved past the step before, distinct and increasing, and said", () => {
    // Bursts whose dicts outnumber the bar's steps: no interval fits.
    const { out, how } = number([0, 1, 2, "a", "b", "c", 3, "d", "e", 4, "f"]);
    const steps = out.map(([, step]) => step);
    expect(steps).toHaveLength(6);
    for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeGreaterThan(steps[i - 1]);
    expect(how).toContain(HOW.noInterval);
  });

  it("holds at most MAX_HELD dicts while the interval is open", () => {
    // One endless burst: the bar never moves again, so nothing settles the interval.
    const script: Array<number | string> = [0, 5000];
    for (let i = 0; i < MAX_HELD + 10; i++) script.push(`d${i}`);
    const { out, beforeEnd } = number(script, 10_000);
    expect(beforeEnd).toBeGreaterThanOrEqual(MAX_HELD);
    const steps = out.map(([, step]) => step);
    for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeGreaterThan(steps[i - 1]);
  });

  it("an evaluation or summary dict joins the step before it", () => {
    const { out } = number([...bufferedScript(2, 20, 3), ["eval", "summary"]]);
    expect(out.at(-1)).toEqual(["eval", 20]);
  });
});

describe("splitConsoleLine", () => {
  it("takes the bars out of a dict line a flush cut in two, and says it was cut", () => {
    const line = "{'loss': 0.1, 'gr\r 23%|██        | 14/60 [00:10<00:30, 1.2s/it]\r      \rad_norm': 0.3}";
    expect(splitConsoleLine(line)).toEqual({
      text: "{'loss': 0.1, 'grad_norm': 0.3}",
      bars: [{ count: 14, total: 60, inside: true }],
    });
  });

  it("a bar before the dict is not inside it", () => {
    const line = "\r 33%|███       | 1/3 [00:04<00:08, 4.02s/it]{'loss': 0.1}";
    expect(splitConsoleLine(line)).toEqual({ text: "{'loss': 0.1}", bars: [{ count: 1, total: 3, inside: false }] });
  });

  it("runs in linear time on hostile lines", () => {
    const hostile = [
      "\r" + "9".repeat(100_000),
      "\r" + " ".repeat(100_000) + "%|",
      "\r1%|" + "x".repeat(100_000),
      "\r1%|a|" + " ".repeat(100_000),
      ("\r1%|a| 1/2 [" + "x".repeat(50)).repeat(2000),
    ];
    for (const line of hostile) {
      const started = performance.now();
      splitConsoleLine(line);
      expect(performance.now() - started, JSON.stringify(line.slice(0, 20))).toBeLessThan(1000);
    }
  });
});
