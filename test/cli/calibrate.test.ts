import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { setupRun, writeRun } from "../monitor/setup-runs.js";
import { jsonLines, runCli } from "./run-cli.js";

describe("rftfm calibrate", () => {
  it("writes a calibration that scan --calibration judges with", () => {
    const dir = mkdtempSync(join(tmpdir(), "rftfm-cli-calibrate-"));
    const healthy = [1, 2, 3].map((seed) => writeRun(dir, setupRun(`healthy-${seed}`, seed)));
    const out = join(dir, "setup.json");
    const made = runCli(["calibrate", ...healthy, "--out", out, "--setup", "made-up"]);
    expect(made.stderr).toMatch(/calibrated from 3 runs, 180 steps/);
    expect(made.status).toBe(0);
    const file = JSON.parse(readFileSync(out, "utf8"));
    expect(file).toMatchObject({ format: "rftfm-calibration", runs: 3, source: { setup: "made-up" } });

    const held = writeRun(dir, setupRun("held-out", 11));
    const hot = writeRun(dir, setupRun("hot", 21, { hotSampling: true }));
    const judged = (args: string[]) =>
      Object.fromEntries(jsonLines(runCli(["scan", held, hot, "--json", ...args]).stdout).map((s) => [s.run, s.alarm]));
    expect(judged(["--calibration", out])).toEqual({ "held-out": false, hot: true });
    expect(judged([])).toEqual({ "held-out": false, hot: false });
    const watched = runCli(["watch", hot, "--once", "--json", "--calibration", out]);
    expect(jsonLines(watched.stdout).some((v) => v.anomalous === true)).toBe(true);
  });

  it("refuses runs of different setups with exit status 2, naming the run", () => {
    const dir = mkdtempSync(join(tmpdir(), "rftfm-cli-calibrate-"));
    const a = writeRun(dir, setupRun("a", 1));
    const b = writeRun(dir, setupRun("b", 2, { steps: 200 }));
    const refused = runCli(["calibrate", a, b, "--out", join(dir, "setup.json")]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/b\.jsonl: not the same setup as .*a\.jsonl: its length is 200 steps against 60/);
  });

  it("says what is wrong with a calibration file, exit status 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "rftfm-cli-calibrate-"));
    const run = writeRun(dir, setupRun("a", 1));
    const bad = runCli(["scan", run, "--calibration", run]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(run);
  });
});
