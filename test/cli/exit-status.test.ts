import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { failureReasons, parseFailOn, RunTally } from "../../src/cli/fail-on.js";
import { IngestReport } from "../../src/ingest/report.js";
import type { RunSummary } from "../../src/verdict/types.js";
import { root, runCli } from "./run-cli.js";

const example = join(root, "examples/small-run.jsonl");
const mixed = join(root, "test/fixtures/cli/mixed.jsonl");

const summary = (over: Partial<RunSummary>): RunSummary => ({
  run: "r",
  steps: 10,
  alarm: false,
  first_alarm_step: null,
  diagnosis: [],
  actions: [],
  lacking: [],
  ...over,
});

describe("the exit status scripts read (issue 13, CLI conventions)", () => {
  it("is 2 on usage errors: a missing argument, an unknown option, a bad --fail-on or number, an unknown command", () => {
    for (const args of [
      ["scan"],
      ["scan", example, "--bogus"],
      ["scan", example, "--fail-on", "nope"],
      ["watch", "x.log", "--poll", "-3"],
      ["nosuch"],
    ]) {
      const r = runCli(args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(/error:/);
    }
    expect(runCli(["scan", example, "--fail-on", "nope"]).stderr).toMatch(/nope is not one of alarm, halt, ingest/);
    expect(runCli(["--help"]).status).toBe(0);
    expect(runCli(["--version"]).status).toBe(0);
  });

  it("is 0 for a clean scan, 1 when --fail-on alarm finds an alarm, and says why on stderr", () => {
    expect(runCli(["scan", example]).status).toBe(0);
    const r = runCli(["scan", example, "--fail-on", "alarm", "--json"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/failing \(exit status 1\): 1 run raised an alarm \(--fail-on alarm\)/);
    expect(runCli(["scan", example, "--fail-on", "ingest,halt"]).status).toBe(0);
  });

  it("--strict is --fail-on ingest; a skipped line alone does not fail by default", () => {
    expect(runCli(["scan", mixed]).status).toBe(0);
    const strict = runCli(["scan", mixed, "--strict"]);
    const failOn = runCli(["scan", mixed, "--fail-on", "ingest"]);
    expect(strict.status).toBe(1);
    expect(failOn.status).toBe(1);
    expect(strict.stderr).toBe(failOn.stderr);
    expect(strict.stderr).toMatch(/the ingest report lists \d+ problems? \(--fail-on ingest\)/);
  });

  it("fails on a missing input file, as cat and grep do", () => {
    const r = runCli(["scan", join(root, "no/such.jsonl")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/1 source could not be read/);
  });

  it("watch says so when the file is not there, and fails when it never appears", () => {
    const r = runCli(["watch", join(root, "no/such/train.log"), "--idle-exit", "0.3", "--poll", "50"]);
    expect(r.stderr).toMatch(/train\.log does not exist \(yet\); waiting for it to appear/);
    expect(r.stderr).toMatch(/train\.log never appeared: nothing was read/);
    expect(r.status).toBe(1);
    // The report says so too, not "no problems ... every source read to the end".
    expect(r.stdout).toMatch(
      /1 source could not be read to the end:\n\s+.*train\.log:0: never appeared: nothing was read/,
    );
    expect(r.stdout).not.toMatch(/no problems/);
  });

  it("names halt and alarm per run, and reads repeated and comma-separated --fail-on", () => {
    const report = new IngestReport();
    const runs = new RunTally();
    runs.add(summary({ run: "a", alarm: true, first_alarm_step: 3, actions: [{ kind: "halt", reason: "x" }] }));
    runs.add(summary({ run: "b", alarm: true, first_alarm_step: 5, actions: [{ kind: "scale_lr", factor: 0.5 }] }));
    expect(failureReasons({}, report, runs)).toEqual([]);
    expect(failureReasons({ failOn: ["halt"] }, report, runs)).toEqual([
      "halting is recommended for 1 run (--fail-on halt)",
    ]);
    expect(failureReasons({ failOn: ["alarm"] }, report, runs)).toEqual(["2 runs raised an alarm (--fail-on alarm)"]);
    expect(parseFailOn("halt", parseFailOn("alarm, ingest"))).toEqual(["alarm", "ingest", "halt"]);
  });
});
