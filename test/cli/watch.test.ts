import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { preferenceFromEnv, selectKernels } from "../../src/backend/load.js";
import { runScan } from "../../src/cli/scan.js";
import { runWatch, type WatchCommandOptions } from "../../src/cli/watch.js";
import { formatFixture } from "../ingest/formats/helpers.js";
import { capture } from "./capture.js";
import { root } from "./run-cli.js";

const kernels = selectKernels({ prefer: preferenceFromEnv() });
const dir = mkdtempSync(join(tmpdir(), "rftfm-watch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const verlLine = (step: number, score: number) =>
  `\u001b[36m(TaskRunner pid=9)\u001b[0m step:${step} - critic/score/mean:${score} - actor/entropy:0.5\n`;

/** Waits until `check` holds, polling. */
async function until(check: () => boolean, what: string, ms = 4000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe("rftfm watch, in process", () => {
  it("prints each step as the file grows, waits for a line's end, and starts over on truncation", async () => {
    const path = join(dir, "train.log");
    writeFileSync(path, `INFO starting\n${verlLine(1, 0.25)}${verlLine(2, 0.5)}`);
    const out = capture();
    const err = capture();
    const stop = new AbortController();
    const options: WatchCommandOptions = { json: true, features: true, poll: 20, settle: 0.15 };
    const done = runWatch(kernels, path, options, { out: out.stream, err: err.stream }, stop.signal);
    const steps = () =>
      out
        .lines()
        .map((l) => JSON.parse(l))
        .filter((l) => l.kind === "step_features");

    // Step 1 completes when step 2 starts; step 2 once the log has been quiet for the settle time.
    await until(() => steps().length === 2, "steps 1 and 2");
    expect(steps().map((s) => [s.step, s.metrics.reward_mean])).toEqual([
      [1, 0.25],
      [2, 0.5],
    ]);

    // Half a line: nothing until its line end is written.
    const third = verlLine(3, 0.75);
    appendFileSync(path, third.slice(0, 30));
    await sleep(300);
    expect(steps()).toHaveLength(2);
    appendFileSync(path, third.slice(30));
    await until(() => steps().length === 3, "step 3");
    expect(steps()[2]).toMatchObject({ step: 3, metrics: { reward_mean: 0.75, entropy: 0.5 } });

    // Truncated and rewritten: reported, and read from the start as a new log.
    writeFileSync(path, verlLine(1, 0.125));
    await until(() => steps().length === 4, "step 1 of the new log");
    expect(steps()[3]).toMatchObject({ step: 1, metrics: { reward_mean: 0.125 } });
    expect(steps()[3].revised).toBeUndefined();

    stop.abort();
    expect(await done).toBe(0);
    const ingest = JSON.parse(out.lines().at(-1)!);
    expect(ingest).toMatchObject({
      kind: "ingest",
      sources: 1,
      steps: 4,
      sourceErrors: 1,
      formats: { [path]: "verl-console" },
    });
    expect(ingest.problems[0].reason).toMatch(/was truncated; reading it again from the start/);
    expect(err.text()).toContain("was truncated");
  });

  it("follows a rename rotation: the old file's last lines first, then the new file from its start; a note, not a problem", async () => {
    const path = join(dir, "rotating.jsonl");
    const line = (step: number) => `${JSON.stringify({ kind: "step", run: "r", step, metrics: { loss: step } })}\n`;
    writeFileSync(path, line(1));
    const out = capture();
    const stop = new AbortController();
    const options: WatchCommandOptions = { json: true, features: true, poll: 20, settle: 0.1 };
    const done = runWatch(kernels, path, options, { out: out.stream, err: capture().stream }, stop.signal);
    const steps = () =>
      out
        .lines()
        .map((l) => JSON.parse(l))
        .filter((l) => l.kind === "step_features")
        .map((l) => l.step);
    await until(() => steps().length === 1, "step 1");
    // Written to the old file, then the file renamed away and a new one started, all between two polls.
    appendFileSync(path, line(2));
    renameSync(path, `${path}.1`);
    writeFileSync(path, line(3));
    await until(() => steps().length === 3, "step 2 of the old file and step 3 of the new one", 8000);
    stop.abort();
    expect(await done).toBe(0);
    expect(steps()).toEqual([1, 2, 3]);
    const ingest = JSON.parse(out.lines().at(-1)!);
    expect(ingest).toMatchObject({ kind: "ingest", rotations: 1, sourceErrors: 0, problemCount: 0 });
  });

  it("prints per step exactly what scan prints per step, for any format", async () => {
    for (const fixture of ["trl-completions", "trl-console.log", "trainer_state.json"]) {
      const path = formatFixture(fixture === "trl-completions" ? "trl-completions/completions_00001.parquet" : fixture);
      const scanned = capture();
      await runScan(kernels, [path], { json: true, features: true }, { out: scanned.stream, err: capture().stream });
      const watched = capture();
      await runWatch(
        kernels,
        path,
        { json: true, features: true, once: true, settle: 0 },
        { out: watched.stream, err: capture().stream },
      );
      const stepLines = (lines: string[]) => lines.filter((l) => l.includes('"kind":"step_features"'));
      expect(stepLines(watched.lines()), fixture).toEqual(stepLines(scanned.lines()));
      expect(stepLines(watched.lines()).length).toBeGreaterThan(0);
    }
  });

  it("prints a verdict per step as the log grows, the same verdicts scan's monitor gives, and a summary per run", async () => {
    const example = join(root, "examples/small-run.jsonl");
    const watched = capture();
    await runWatch(
      kernels,
      example,
      { json: true, once: true, settle: 0 },
      { out: watched.stream, err: capture().stream },
    );
    const lines = watched.lines().map((l) => JSON.parse(l));
    const verdicts = lines.filter((l) => l.kind === undefined);
    expect(verdicts).toHaveLength(80);
    for (const v of verdicts)
      expect(Object.keys(v)).toEqual(
        expect.arrayContaining(["run", "step", "anomalous", "anomalies", "diagnosis", "actions"]),
      );
    expect(lines.at(-1).kind).toBe("ingest");
    // The first alarm of each run is where scan's run summary puts it.
    const scanned = capture();
    await runScan(kernels, [example], { json: true }, { out: scanned.stream, err: capture().stream });
    for (const summary of scanned.lines().map((l) => JSON.parse(l))) {
      const first = verdicts.find((v) => v.run === summary.run && v.anomalous);
      expect(first?.step ?? null, summary.run).toBe(summary.first_alarm_step);
    }
    const readable = capture();
    await runWatch(kernels, example, { once: true, settle: 0 }, { out: readable.stream, err: capture().stream });
    expect(readable.text()).toMatch(/demo-healthy step 1: ok/);
    expect(readable.text()).toMatch(/demo-entropy-collapse step \d+: ALARM /);
    expect(readable.text()).toMatch(/run demo-entropy-collapse: 40 steps, alarm at step \d+/);
  });

  it("prints readable rows under a header per run with --features", async () => {
    const out = capture();
    await runWatch(
      kernels,
      formatFixture("verl-rollout/1.jsonl"),
      { once: true, features: true },
      { out: out.stream, err: capture().stream },
    );
    const [title, header, row] = out.lines();
    expect(title).toMatch(/^run .*verl-rollout \(backend: (native|wasm)\)$/);
    expect(header.trim().split(/\s+/).slice(0, 3)).toEqual(["step", "traj", "reward"]);
    expect(row.trim().split(/\s+/).slice(0, 3)).toEqual(["1", "8", "0.375"]);
    expect(out.text()).toContain("read 8 lines from 1 source");
  });
});

describe("rftfm watch, as a command", () => {
  it.each(["SIGINT", "SIGTERM"] as const)(
    "stops cleanly on %s: prints the open step and the report, exits 0",
    async (signal) => {
      const path = join(dir, `live-${signal}.jsonl`);
      const line = (step: number) => `${JSON.stringify({ step, data: { "critic/score/mean": step / 4 } })}\n`;
      writeFileSync(path, line(1) + line(2));
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          join(root, "src/cli/main.ts"),
          "watch",
          path,
          "--json",
          "--features",
          "--poll",
          "20",
          "--settle",
          "60",
        ],
        { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
      );
      let stdout = "";
      child.stdout.on("data", (chunk) => (stdout += String(chunk)));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      // Step 1 is printed as soon as step 2 is read; step 2 stays open (the settle time is long)
      // and is printed when watch stops.
      await until(() => stdout.includes('"step_features"'), "step 1", 20_000);
      child.kill(signal);
      expect(await exited).toBe(0);
      const lines = stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => [l.kind, l.step])).toEqual([
        ["step_features", 1],
        ["step_features", 2],
        ["ingest", undefined],
      ]);
      expect(lines[1]).toMatchObject({ metrics: { reward_mean: 0.5 } });
    },
    30_000,
  );
});
