import { existsSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { preferenceFromEnv, selectKernels } from "../../src/backend/load.js";
import { SummarySpill } from "../../src/cli/summary-spill.js";
import { joinSummaries, logMonitor } from "../../src/cli/verdicts.js";
import type { RunSummary } from "../../src/verdict/types.js";

const kernels = selectKernels({ prefer: preferenceFromEnv() });

function summary(run: string, steps: number, alarm = false): RunSummary {
  return {
    run,
    steps,
    alarm,
    first_alarm_step: alarm ? steps - 1 : null,
    diagnosis: [],
    actions: [],
    lacking: ["x"],
  };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe("the summaries of evicted runs past the held bound go to temporary files (issue 13, item 8)", () => {
  it("keeps every run once, its parts joined in time order, sorted by run id once spilled; the files go on close", async () => {
    const spill = new SummarySpill(joinSummaries, 3);
    // Bound 3: chunks of (r5 r1 r9), (r1 r3 r7), (r2 r1 r8); r1 is in each, then in the last runs held.
    // Its first part carries the alarm.
    const order = ["r5", "r1", "r9", "r1", "r3", "r7", "r2", "r1", "r8"];
    order.forEach((run, i) => {
      spill.add(summary(run, i + 1, run === "r1" && i === 1));
    });
    expect(spill.spilledChunks).toBe(3);
    const dir = spill.directory!;
    expect(readdirSync(dir)).toHaveLength(3);

    const all = await collect(spill.drain([summary("r4", 100), summary("r1", 1000)]));
    expect(all.map((s) => s.run)).toEqual(["r1", "r2", "r3", "r4", "r5", "r7", "r8", "r9"]);
    const r1 = all[0];
    expect(r1.steps).toBe(2 + 4 + 8 + 1000);
    expect([r1.alarm, r1.first_alarm_step]).toEqual([true, 1]);
    expect(all.reduce((n, s) => n + s.steps, 0)).toBe(45 + 1100);
    spill.close();
    expect(existsSync(dir)).toBe(false);
    spill.close(); // idempotent
  });

  it("keeps the first-seen order while nothing was spilled, and writes no file", async () => {
    const spill = new SummarySpill(joinSummaries, 10);
    for (const run of ["z", "a", "m", "a"]) spill.add(summary(run, 1));
    expect(spill.spilledChunks).toBe(0);
    expect(spill.directory).toBeUndefined();
    const all = await collect(spill.drain([summary("b", 1)]));
    expect(all.map((s) => [s.run, s.steps])).toEqual([
      ["z", 1],
      ["a", 2],
      ["m", 1],
      ["b", 1],
    ]);
    spill.close();
  });

  it("removes the files when the reader stops part way (an error while writing the summaries)", async () => {
    const spill = new SummarySpill(joinSummaries, 2);
    for (let i = 0; i < 9; i++) spill.add(summary(`r${i}`, 1));
    const dir = spill.directory!;
    await expect(
      (async () => {
        for await (const _ of spill.drain([])) throw new Error("stdout closed");
      })(),
    ).rejects.toThrow("stdout closed");
    spill.close();
    expect(existsSync(dir)).toBe(false);
  });

  it("loses nothing when a chunk cannot be written: the summaries stay in memory, and it says why", async () => {
    const before = process.env.TMPDIR;
    process.env.TMPDIR = "/nonexistent/rftfm-no-such-dir";
    try {
      const spill = new SummarySpill(joinSummaries, 2);
      for (let i = 0; i < 7; i++) spill.add(summary(`r${i}`, 1));
      expect(spill.spilledChunks).toBe(0);
      expect(spill.failure).toMatch(
        /could not write run summaries to a temporary directory \(.*ENOENT.*\): 2 and more/,
      );
      const all = await collect(spill.drain([summary("r0", 5)]));
      expect(all.map((s) => [s.run, s.steps])).toEqual([
        ["r0", 6],
        ["r1", 1],
        ["r2", 1],
        ["r3", 1],
        ["r4", 1],
        ["r5", 1],
        ["r6", 1],
      ]);
      spill.close();
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
  });

  it("refuses a bound below 1", () => {
    expect(() => new SummarySpill(joinSummaries, 0)).toThrow(/maxHeld 0/);
  });

  it("a log monitor of more runs than it holds and more evicted ones than it keeps in memory loses no run, alarms included", async () => {
    const judge = logMonitor(kernels, {}, 2, 3);
    const runs = 40;
    for (let r = 0; r < runs; r++) {
      const run = `run-${String(r).padStart(2, "0")}`;
      for (let step = 0; step < 3; step++) {
        // run-07 logs a non-finite reward twice (an alarm), and it is let go of long before the end.
        const reward = r === 7 && step >= 1 ? Number.NaN : 0.5;
        judge.monitor.observe({ run, step, metrics: { reward_mean: reward } });
      }
    }
    expect(judge.spilledChunks()).toBeGreaterThan(5);
    const all = await collect(judge.summaries());
    expect(all).toHaveLength(runs);
    expect(all.every((s) => s.steps === 3)).toBe(true);
    expect(all.filter((s) => s.alarm).map((s) => s.run)).toEqual(["run-07"]);
    judge.close();
  });
});
