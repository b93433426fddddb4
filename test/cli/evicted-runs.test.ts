import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { preferenceFromEnv, selectKernels } from "../../src/backend/load.js";
import { joinSummaries, LOG_MONITOR_RUNS, logMonitor } from "../../src/cli/verdicts.js";
import { Monitor } from "../../src/monitor/monitor.js";
import type { RunSummary } from "../../src/verdict/types.js";
import { jsonLines, root, runCli } from "./run-cli.js";

const kernels = selectKernels({ prefer: preferenceFromEnv() });
const example = readFileSync(join(root, "examples/small-run.jsonl"), "utf8");

describe("a run the monitor lets go of leaves its summary behind (issue 13, item 3)", () => {
  it("the Monitor hands an evicted run's summary to onEvict, and a throwing callback is only logged", () => {
    const evicted: RunSummary[] = [];
    const errors: string[] = [];
    const m = new Monitor({ kernels, maxRuns: 2, onEvict: (s) => evicted.push(s), onError: (e) => errors.push(e) });
    for (let step = 0; step < 3; step++) m.observe({ run: "a", step, metrics: { reward_mean: 0.5 } });
    m.observe({ run: "b", step: 0, metrics: { reward_mean: 0.5 } });
    m.observe({ run: "c", step: 0, metrics: { reward_mean: 0.5 } });
    expect(evicted.map((s) => [s.run, s.steps])).toEqual([["a", 3]]);
    expect(m.runIds).toEqual(["b", "c"]);
    m.forget("b"); // forgetting is the caller's choice: no hand-off
    expect(evicted).toHaveLength(1);
    m.close();

    const angry = new Monitor({
      kernels,
      maxRuns: 1,
      onEvict: () => {
        throw new Error("sink full");
      },
      onError: (e) => errors.push(e),
    });
    angry.observe({ run: "a", step: 0, metrics: { reward_mean: 0.5 } });
    const v = angry.observe({ run: "b", step: 0, metrics: { reward_mean: 0.5 } });
    expect(v.errors ?? []).toEqual([]);
    expect(errors.some((e) => /onEvict failed for run a: sink full/.test(e))).toBe(true);
    angry.close();
  });

  it("the log monitor keeps every run's summary, and joins a run seen again after its eviction", async () => {
    const judge = logMonitor(kernels, {}, 2);
    const step = (run: string, s: number) => judge.monitor.observe({ run, step: s, metrics: { reward_mean: 0.5 } });
    for (let s = 0; s < 4; s++) step("a", s);
    step("b", 0);
    step("c", 0); // evicts a
    step("a", 4); // evicts b; a starts over
    const summaries = await collect(judge.summaries());
    expect(summaries.map((s) => [s.run, s.steps])).toEqual([
      ["a", 5],
      ["b", 1],
      ["c", 1],
    ]);
    expect(judge.evictions()).toBe(2);
    expect(judge.spilledChunks()).toBe(0);
    judge.close();
  });

  it("joins two parts of a run: steps add up, the earlier alarm and its diagnosis stand", () => {
    const quiet: RunSummary = {
      run: "r",
      steps: 10,
      alarm: false,
      first_alarm_step: null,
      diagnosis: [],
      actions: [],
      lacking: ["x", "y"],
    };
    const loud: RunSummary = { ...quiet, steps: 5, alarm: true, first_alarm_step: 12, lacking: ["y"] };
    expect(joinSummaries(quiet, loud)).toMatchObject({ steps: 15, alarm: true, first_alarm_step: 12, lacking: ["y"] });
    expect(joinSummaries(loud, quiet)).toMatchObject({ steps: 15, alarm: true, first_alarm_step: 12, lacking: ["y"] });
  });

  it(`scan reports the alarmed run that ${LOG_MONITOR_RUNS} later runs pushed out of the monitor`, () => {
    const dir = mkdtempSync(join(tmpdir(), "rftfm-evict-"));
    const file = join(dir, "many.jsonl");
    const crowd: string[] = [];
    for (let i = 0; i < LOG_MONITOR_RUNS + 8; i++) {
      crowd.push(JSON.stringify({ kind: "step", run: `crowd-${i}`, step: 1, metrics: { reward_mean: 0.5 } }));
    }
    writeFileSync(file, `${example.trimEnd()}\n${crowd.join("\n")}\n`);
    const r = runCli(["scan", file, "--json", "--fail-on", "alarm"]);
    const lines = jsonLines(r.stdout) as unknown as RunSummary[];
    expect(lines).toHaveLength(LOG_MONITOR_RUNS + 10);
    const collapse = lines.find((l) => l.run === "demo-entropy-collapse");
    expect(collapse).toMatchObject({ steps: 40, alarm: true });
    expect(r.status).toBe(1);
  }, 120_000);
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
