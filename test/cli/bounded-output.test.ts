/**
 * `scan --features` writes its rows as they are produced, holding at most
 * `maxHeldRows` of them (issue 13, item 8): behaviour at a small bound, not a
 * memory measurement (scripts/gen-bounds-input.mjs is for that).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { preferenceFromEnv, selectKernels } from "../../src/backend/load.js";
import { runScan } from "../../src/cli/scan.js";
import { renderTable } from "../../src/cli/table.js";
import { capture } from "./capture.js";

const kernels = selectKernels({ prefer: preferenceFromEnv() });

/** Runs a and b interleaved, `steps` steps each: a with a trajectory block per step, b with metrics only. */
function input(steps: number): string {
  const dir = mkdtempSync(join(tmpdir(), "rftfm-bounded-"));
  const lines: string[] = [];
  for (let step = 1; step <= steps; step++) {
    lines.push(JSON.stringify({ kind: "step", run: "a", step, metrics: { reward_mean: step / 100 } }));
    const reward = [0, 1, 1, 0].map((r) => (r * step) % 3);
    lines.push(JSON.stringify({ kind: "trajectories", run: "a", step, columns: { group: [0, 0, 1, 1], reward } }));
    lines.push(
      JSON.stringify({ kind: "step", run: "b", step, metrics: { kl_ref: step / 1000, entropy: 1 - step / 100 } }),
    );
  }
  const path = join(dir, "two-runs.jsonl");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

/** Each table row as `run step cells...` (whitespace-free cells), whatever the part and its column widths. */
function rows(text: string): string[] {
  const out: string[] = [];
  let run = "";
  for (const line of text.split("\n")) {
    const header = /^run (\w+)(?:, part \d+)?: /.exec(line);
    if (header) run = header[1];
    else if (/^\s*\d+\s/.test(line)) out.push(`${run} ${line.trim().split(/\s+/).join(" ")}`);
  }
  return out;
}

async function features(path: string, maxHeldRows?: number): Promise<{ status: number; out: string }> {
  const out = capture();
  const status = await runScan(
    kernels,
    [path],
    { features: true, maxHeldRows },
    { out: out.stream, err: capture().stream },
  );
  return { status, out: out.text() };
}

describe("scan --features holds at most maxHeldRows rows (issue 13, item 8)", () => {
  it("prints the tables in parts past the bound, every row once, the same rows as unbounded", async () => {
    const path = input(12);
    const whole = await features(path);
    expect(whole.status).toBe(0);
    expect(whole.out).toMatch(/^run a: 12 steps \(backend: \w+\)$/m);
    expect(whole.out).toMatch(/^run b: 12 steps \(backend: \w+\)$/m);
    expect(whole.out).not.toMatch(/part|printed in parts/);
    expect(rows(whole.out)).toHaveLength(24);

    const parted = await features(path, 5);
    expect(parted.status).toBe(0);
    // 24 rows, at most 5 held: printed each time a 6th came (4 times), two runs each time, then the rest.
    const parts = parted.out.match(/^run \w+, part \d+: \d+ steps, steps \d+\.\.\d+ /gm) ?? [];
    expect(parts.length).toBeGreaterThanOrEqual(8);
    expect(parted.out).toMatch(/^run a, part 1: \d+ steps, steps 1\.\.\d+ \(backend: \w+\)$/m);
    expect(parted.out).toMatch(
      /the tables were printed in parts \(\d+ before the end\), holding at most 5 rows at once/,
    );
    expect(rows(parted.out).sort()).toEqual(rows(whole.out).sort());
    // No part holds more than the bound and the one row that tipped it over.
    for (const block of parted.out.split(/\n\n/)) expect(rows(block).length).toBeLessThanOrEqual(6);
  });

  it("with --json counts each run's distinct steps without holding them", async () => {
    const out = capture();
    await runScan(kernels, [input(7)], { features: true, json: true }, { out: out.stream, err: capture().stream });
    const lines = out
      .text()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.kind === "step_features")).toHaveLength(14);
    expect(lines.filter((l) => l.kind === "run")).toEqual([
      { kind: "run", run: "a", steps: 7 },
      { kind: "run", run: "b", steps: 7 },
    ]);
  });
});

describe("renderTable", () => {
  it("lays out a table of 300k rows (a spread of every cell overflowed the stack: scan --features of a 200k-step run exited 2)", () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => [String(i), i === 7 ? "widest-cell" : "x"]);
    const lines = renderTable(["step", "v"], rows).split("\n");
    expect(lines).toHaveLength(300_002);
    expect(lines[0]).toBe(`${"step".padStart(6)}  ${"v".padStart(11)}`);
  });
});

describe("scan --json says on stderr when a memory bound left detail out", () => {
  it("prints the ingest summary, with the coverage bound's line, though the report lists no problem", async () => {
    const { MAX_COVERED_METRICS } = await import("../../src/ingest/report.js");
    const metrics: Record<string, number> = {};
    for (let i = 0; i < MAX_COVERED_METRICS + 3; i++) metrics[`m${i}`] = i;
    const dir = mkdtempSync(join(tmpdir(), "rftfm-bounded-"));
    const path = join(dir, "wide.jsonl");
    writeFileSync(path, `${JSON.stringify({ kind: "step", run: "r", step: 1, metrics })}\n`);
    const err = capture();
    const status = await runScan(kernels, [path], { json: true }, { out: capture().stream, err: err.stream });
    expect(status).toBe(0);
    expect(err.text()).toMatch(/metric coverage is tracked for at most \d+ metric names per run .*: 3 metric values/);
  });
});
