import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { jsonLines, root, runCli } from "./run-cli.js";

const example = join(root, "examples/small-run.jsonl");
const mixed = join(root, "test/fixtures/cli/mixed.jsonl");

describe("rftfm --help", () => {
  it("explains the commands and every scan option", () => {
    const top = runCli(["--help"]);
    expect(top.status).toBe(0);
    expect(top.stdout).toMatch(/scan \[options\] <files\.\.\.>/);
    const scan = runCli(["scan", "--help"]);
    expect(scan.status).toBe(0);
    const text = scan.stdout.replace(/\s+/g, " ");
    for (const option of [
      "--json",
      "--features",
      "--fingerprints <file>",
      "--prior",
      "--strict",
      "--backend <name>",
      "- for standard input",
    ]) {
      expect(text).toContain(option);
    }
  });

  it("lists every format and the reading options, for scan and watch", () => {
    for (const command of ["scan", "watch"]) {
      const text = runCli([command, "--help"]).stdout.replace(/\s+/g, " ");
      for (const option of ["--format <name>", "--run <name>", "--num-generations <n>", "--reward-columns <names>"]) {
        expect(text, command).toContain(option);
      }
      for (const format of ["canonical", "trl-console", "verl-console", "verl-rollout", "wandb-csv", "parquet"]) {
        expect(text, command).toContain(` ${format} `);
      }
    }
    const bad = runCli(["scan", example, "--format", "tensorboard"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/Allowed choices are canonical, trl-console/);
  });

  it("fails with usage help on a missing argument", () => {
    const r = runCli(["scan"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/missing required argument 'files'/);
  });
});

describe("rftfm scan", () => {
  it("prints a report per run of the built-in example: the healthy run passes, the collapsing one alarms with a diagnosis", () => {
    const r = runCli(["scan", example]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/run demo-healthy: 40 steps, no alarm/);
    expect(r.stdout).toMatch(/run demo-entropy-collapse: 40 steps, alarm at step \d+/);
    expect(r.stdout).toMatch(/diagnosis: [a-z_]+ \([a-z_]+\), confidence 0\.\d\d/);
    expect(r.stdout).toMatch(/recommended actions: /);
    expect(r.stdout).toMatch(/skipped 0|no malformed|0 malformed/i);
  });

  it("prints one run summary per line with --json (verdicts.md), nothing else on stdout", () => {
    const r = runCli(["scan", example, "--json"]);
    expect(r.status).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => l.run)).toEqual(["demo-healthy", "demo-entropy-collapse"]);
    for (const l of lines)
      expect(Object.keys(l)).toEqual(
        expect.arrayContaining(["run", "steps", "alarm", "first_alarm_step", "diagnosis", "actions"]),
      );
    const [healthy, collapse] = lines as {
      alarm: boolean;
      first_alarm_step: number | null;
      diagnosis: { fault: string; family: string; confidence: number }[];
    }[];
    expect(healthy).toMatchObject({ steps: 40, alarm: false, first_alarm_step: null, diagnosis: [] });
    expect(collapse.alarm).toBe(true);
    expect(collapse.first_alarm_step).toBeGreaterThan(0);
    expect(collapse.diagnosis[0]).toMatchObject({
      fault: expect.any(String),
      family: expect.any(String),
      confidence: expect.any(Number),
    });
  });

  it("judges against the healthy prior only when asked, or with a fingerprint file", () => {
    const withPrior = jsonLines(runCli(["scan", example, "--json", "--prior"]).stdout) as {
      alarm: boolean;
      first_alarm_step: number;
    }[];
    // The example is not of the benchmark's setup: against its prior, everything is off from the start.
    expect(withPrior.every((l) => l.alarm && l.first_alarm_step <= 2)).toBe(true);
    const withFile = jsonLines(
      runCli(["scan", example, "--json", "--fingerprints", join(root, "fingerprints/default.json")]).stdout,
    );
    expect(withFile).toEqual(withPrior);
    const bad = runCli(["scan", example, "--fingerprints", join(root, "package.json")]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/package\.json: format: expected "rftfm-fingerprints"/);
  });

  it("prints a table per run of the built-in example and a clean ingest summary with --features", () => {
    const r = runCli(["scan", example, "--features"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/run demo-healthy: \d+ steps/);
    expect(r.stdout).toMatch(/run demo-entropy-collapse: \d+ steps/);
    expect(r.stdout).toMatch(/step\s+traj\s+reward/);
    expect(r.stdout).toMatch(/skipped 0|no malformed|0 malformed/i);
  });

  it("prints one JSON line per step, one per run, then the ingest report with --features --json", () => {
    const r = runCli(["scan", example, "--features", "--json"]);
    expect(r.status).toBe(0);
    const lines = jsonLines(r.stdout);
    const steps = lines.filter((l) => l.kind === "step_features");
    const runs = lines.filter((l) => l.kind === "run");
    expect(runs.map((l) => l.run).sort()).toEqual(["demo-entropy-collapse", "demo-healthy"]);
    expect(steps.length).toBe(runs.reduce((n, l) => n + (l.steps as number), 0));
    const first = steps[0] as { features: Record<string, number>; trajectories: number };
    expect(first.trajectories).toBeGreaterThan(0);
    expect(first.features["reward.mean"]).toBeTypeOf("number");
    expect(first.features["group.zero_var_share"]).toBeTypeOf("number");
    expect(lines.at(-1)!.kind).toBe("ingest");
  });

  it("skips malformed lines, reports them with file:line, and keeps every valid record", () => {
    const r = runCli(["scan", mixed, "--features", "--json"]);
    expect(r.status).toBe(0);
    const lines = jsonLines(r.stdout);
    const steps = lines.filter((l) => l.kind === "step_features") as {
      run: string;
      step: number;
      trajectories: number;
      features: Record<string, unknown>;
    }[];
    expect(steps.map((s) => `${s.run}/${s.step}`).sort()).toEqual(["a/0", "a/1", "b/0", "b/1"]);
    // Step a/1: the block with mismatched columns is rejected, the two rows are kept.
    expect(steps.find((s) => s.run === "a" && s.step === 1)!.trajectories).toBe(2);
    // A non-finite cell is data: counted, and written back in the telemetry convention.
    expect(steps.find((s) => s.run === "a" && s.step === 0)!.features["length.nonfinite"]).toBe(1);
    expect(r.stderr).toContain(`${mixed}:3`);
    expect(r.stderr).toContain(`${mixed}:5`);
    expect(r.stderr).toContain(`${mixed}:8`);
    const ingest = lines.at(-1) as { skipped?: number };
    expect(JSON.stringify(ingest)).toMatch(/"skipped":3\b|"malformed":3\b/);
  });

  it("exits 1 under --strict when lines were skipped", () => {
    expect(runCli(["scan", mixed, "--strict"]).status).toBe(1);
    expect(runCli(["scan", example, "--strict"]).status).toBe(0);
  });

  it("reads standard input and gzip files", () => {
    const text = readFileSync(example);
    const fromStdin = runCli(["scan", "-", "--features", "--json"], { input: text });
    const dir = mkdtempSync(join(tmpdir(), "rftfm-"));
    const gz = join(dir, "run.jsonl.gz");
    writeFileSync(gz, gzipSync(text));
    const fromGzip = runCli(["scan", gz, "--features", "--json"]);
    const fromFile = runCli(["scan", example, "--features", "--json"]);
    const steps = (out: string) => jsonLines(out).filter((l) => l.kind !== "ingest");
    expect(steps(fromStdin.stdout)).toEqual(steps(fromFile.stdout));
    expect(steps(fromGzip.stdout)).toEqual(steps(fromFile.stdout));
  });

  it("gives the same features and the same verdicts on both backends", () => {
    const native = runCli(["scan", example, "--features", "--json", "--backend", "native"]);
    const wasm = runCli(["scan", example, "--features", "--json", "--backend", "wasm"]);
    expect(native.status).toBe(0);
    expect(wasm.stdout).toBe(native.stdout);
    for (const prior of ["--prior", "--no-prior"]) {
      const judged = runCli(["scan", example, "--json", prior, "--backend", "native"]);
      expect(runCli(["scan", example, "--json", prior, "--backend", "wasm"]).stdout).toBe(judged.stdout);
    }
    expect(runCli(["scan", example, "--backend", "wasm"]).stdout).toContain("backend: wasm");
  });

  it("reads trainers' logs and directories of per-step dumps, detecting each format", () => {
    const formats = join(root, "test/fixtures/formats");
    const r = runCli([
      "scan",
      join(formats, "verl-console.log"),
      join(formats, "trl-completions"),
      "--features",
      "--json",
      "--strict",
    ]);
    expect(r.status).toBe(1); // --strict: the verl log repeats a step (reported)
    const lines = jsonLines(r.stdout);
    const steps = lines.filter((l) => l.kind === "step_features") as {
      run: string;
      step: number;
      trajectories: number;
    }[];
    // Each run's steps in order; a run's last step is complete at the end of all input.
    expect(steps.map((s) => [s.run.split("/").at(-1), s.step, s.trajectories])).toEqual([
      ["verl-console.log", 1, 0],
      ["verl-console.log", 2, 0],
      ["trl-completions", 1, 8],
      ["verl-console.log", 3, 0],
      ["trl-completions", 2, 8],
    ]);
    const ingest = lines.at(-1) as { formats: Record<string, string>; replacedSteps: number };
    expect(Object.values(ingest.formats)).toEqual(["verl-console", "trl-completions", "trl-completions"]);
    expect(ingest.replacedSteps).toBe(1);
    expect(r.stderr).toContain("verl-console.log:7: step: step 2 logged again");
  });

  it("reports a file that does not exist, goes on with the others, and fails as cat does (issue 13)", () => {
    const r = runCli(["scan", join(root, "no/such/file.jsonl"), example, "--json"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/rftfm: failing \(exit status 1\): 1 source could not be read/);
    expect(jsonLines(r.stdout).map((l) => l.run)).toEqual(["demo-healthy", "demo-entropy-collapse"]);
    expect(r.stderr).toMatch(/no\/such\/file\.jsonl/);
  });
});
