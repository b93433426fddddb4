import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { root, runCli } from "./run-cli.js";

/**
 * Issue 13, item 8: a scan's memory does not grow with the number of runs. Pinned
 * by a heap cap, not by a time: 150,000 interleaved one-step runs under an 80 MB
 * old space. Before the summaries spilled and the gatherer forgot runs, every
 * run's summary and bookkeeping stayed until the end (about 1 KB a run) and this
 * scan died out of memory (measured: exit 134 at this cap).
 */
const RUNS = 150_000;
const dir = mkdtempSync(join(tmpdir(), "rftfm-bounded-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("scan of many runs in a capped heap (issue 13, item 8)", () => {
  it("reports every run of 150,000 under an 80 MB heap, and says which bounds it reached", { timeout: 180_000 }, () => {
    const input = join(dir, "runs.jsonl");
    const generated = spawnSync(process.execPath, [join(root, "scripts/gen-bounds-input.mjs"), "runs", String(RUNS)], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    expect(generated.status).toBe(0);
    writeFileSync(input, generated.stdout);

    const result = runCli(["scan", input, "--json"], { env: { NODE_OPTIONS: "--max-old-space-size=80" } });
    expect(result.stderr).not.toMatch(/heap out of memory/);
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(RUNS);
    const names = new Set(lines.map((line) => (JSON.parse(line) as { run: string }).run));
    expect(names.size).toBe(RUNS);
    // Spilled summaries come sorted by run id.
    expect(lines[0]).toContain('"run":"run-0"');
    expect(result.stderr).toMatch(/runs forgotten \(their newest step and source\), to remember at most 65536 runs/);
    expect(result.stderr).toMatch(/50000 runs past the first 100000 are counted, not listed/);
    expect(result.stderr).toMatch(/gathered 150000 steps of 150000 runs/);
  });
});
