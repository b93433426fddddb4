import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT_HALTED, EXIT_RELAUNCHES_SPENT, resumeArgs, supervise } from "../../src/supervise/supervisor.js";
import { kernels } from "../serve/helpers.js";

const dir = mkdtempSync(join(tmpdir(), "rftfm-supervise-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const trainer = join(import.meta.dirname, "fake-trainer.mjs");

async function run(nanFrom: number, policy: object, maxRelaunches = 2) {
  const reports: Record<string, unknown>[] = [];
  const log = join(dir, `launches-${Math.random()}.jsonl`);
  const code = await supervise({
    command: [process.execPath, trainer, "30", String(nanFrom), JSON.stringify(policy)],
    resumeArg: "--resume {step} --from {path}",
    maxRelaunches,
    graceMs: 2000,
    monitor: { kernels, onError: () => {} },
    report: (e) => reports.push(e),
    env: { FAKE_LOG: log },
  });
  const launches = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  return { code, reports, launches };
}

describe("rftfm run (the supervisor)", () => {
  it("fills the resume template", () => {
    expect(resumeArgs("--resume_from_checkpoint {path}", { step: 9, path: "/c/checkpoint-9" })).toEqual([
      "--resume_from_checkpoint",
      "/c/checkpoint-9",
    ]);
    expect(resumeArgs(undefined, { step: 9 })).toEqual([]);
  });

  it("turns a rollback into stop + relaunch from the checkpoint, and the run then completes", async () => {
    const { code, reports, launches } = await run(12, { mode: "act", allowed: ["rollback", "halt"] });
    const relaunch = reports.find((r) => r.kind === "relaunch");
    if (!relaunch) throw new Error(`no relaunch in ${JSON.stringify(reports)}`);
    const from = relaunch.from_step as number;
    expect(from).toBeLessThanOrEqual((relaunch.action as { to_step: number }).to_step);
    expect(from).toBeLessThan(12);
    expect(relaunch.args).toEqual(["--resume", String(from), "--from", `/ckpt/checkpoint-${from}`]);
    expect(launches).toEqual([
      { start: 0, args: [] },
      { start: from + 1, args: ["--resume", String(from), "--from", `/ckpt/checkpoint-${from}`] },
    ]);
    expect(code).toBe(0);
  }, 60_000);

  it("bounds the relaunches: a rollback past the budget stops the run with its own exit status", async () => {
    const { code, reports, launches } = await run(12, { mode: "act", allowed: ["rollback"] }, 0);
    expect(reports.map((r) => r.kind)).toEqual(["relaunches_spent"]);
    expect(launches).toHaveLength(1);
    expect(code).toBe(EXIT_RELAUNCHES_SPENT);
  }, 60_000);

  it("a fault that comes back after the relaunch is escalated: relaunched once, then halted", async () => {
    const { code, reports, launches } = await run(-12, { mode: "act", allowed: ["rollback", "halt"] }, 2);
    expect(reports.map((r) => r.kind)).toEqual(["relaunch", "halt"]);
    expect(launches).toHaveLength(2);
    expect(code).toBe(EXIT_HALTED);
  }, 60_000);

  it("ends a halted run with its own exit status", async () => {
    const { code, reports } = await run(12, { mode: "act", allowed: ["halt"] });
    expect(reports.map((r) => r.kind)).toEqual(["halt"]);
    expect(code).toBe(EXIT_HALTED);
  }, 60_000);
});
