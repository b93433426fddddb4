import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

/** A NAB-style series: a noisy daily-ish pattern with one spike. */
function nabCsv(rows: number, spikeAt: number): string {
  const lines = ["timestamp,value"];
  for (let i = 0; i < rows; i++) {
    const t = new Date(Date.UTC(2014, 0, 1) + i * 300_000).toISOString().slice(0, 19).replace("T", " ");
    const v = 50 + 10 * Math.sin(i / 20) + ((i * 7919) % 13) / 13 + (i === spikeAt ? 200 : 0);
    lines.push(`${t},${v}`);
  }
  return `${lines.join("\n")}\n`;
}

describe("rftfm score-series", () => {
  it("writes timestamp,value,anomaly_score, one row per input row, and flags the spike", () => {
    for (const backend of ["native", "wasm"]) {
      const result = runCli(["score-series", "-", "--backend", backend], { input: nabCsv(600, 450) });
      expect(result.status, result.stderr).toBe(0);
      const rows = parse(result.stdout, { columns: true }) as Record<string, string>[];
      expect(Object.keys(rows[0])).toEqual(["timestamp", "value", "anomaly_score"]);
      expect(rows).toHaveLength(600);
      const scores = rows.map((r) => Number(r.anomaly_score));
      expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
      expect(scores[450]).toBeGreaterThan(0.9);
      expect(Math.max(...scores.slice(300))).toBe(scores[450]);
      expect(rows[450].timestamp).toBe("2014-01-02 13:30:00");
    }
  });

  it("writes to --out, and the score of a row does not depend on later rows", () => {
    const dir = mkdtempSync(join(tmpdir(), "rftfm-score-series-"));
    const full = nabCsv(500, 300);
    const head = `${full.split("\n").slice(0, 401).join("\n")}\n`;
    writeFileSync(join(dir, "full.csv"), full);
    writeFileSync(join(dir, "head.csv"), head);
    for (const name of ["full", "head"]) {
      expect(runCli(["score-series", join(dir, `${name}.csv`), "--out", join(dir, `${name}.out.csv`)]).status).toBe(0);
    }
    const scored = (name: string) =>
      readFileSync(join(dir, `${name}.out.csv`), "utf8")
        .trim()
        .split("\n");
    expect(scored("full").slice(0, 401)).toEqual(scored("head"));
  });

  it("fails clearly without a value column", () => {
    const result = runCli(["score-series", "-"], { input: "timestamp,x\n2014-01-01 00:00:00,1\n" });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/needs timestamp and value columns, it has timestamp, x/);
  });
});

describe("rftfm score-series: a row that is not CSV, a file that cannot be read (issue 13, item 19)", () => {
  const good = nabCsv(50, 40);
  const bad = `${good}"2014-01-02 00:00:00,7\n`;

  it("scores the good rows and reports the bad one (an unterminated quote on the last line), on both backends", () => {
    const scored: string[] = [];
    for (const backend of ["native", "wasm"]) {
      const result = runCli(["score-series", "-", "--backend", backend], { input: bad });
      expect(result.status, result.stderr).toBe(0);
      const rows = parse(result.stdout, { columns: true }) as Record<string, string>[];
      expect(rows).toHaveLength(50);
      expect(result.stderr).toMatch(/^rftfm score-series: -:52: Quote Not Closed.*; the row was skipped$/m);
      // The good rows score as they do without the bad one.
      expect(result.stdout).toBe(runCli(["score-series", "-", "--backend", backend], { input: good }).stdout);
      scored.push(result.stdout);
    }
    expect(scored[0]).toBe(scored[1]);
  });

  it("exits 1 for a skipped row with --fail-on ingest, --strict or RFTFM_FAIL_ON=ingest, as scan does", () => {
    for (const [args, env] of [
      [["--fail-on", "ingest"], {}],
      [["--strict"], {}],
      [[], { RFTFM_FAIL_ON: "ingest" }],
    ] as const) {
      const result = runCli(["score-series", "-", ...args], { input: bad, env });
      expect(result.status, `${args} ${JSON.stringify(env)}`).toBe(1);
      expect(parse(result.stdout, { columns: true })).toHaveLength(50);
      expect(result.stderr).toMatch(/rftfm: failing \(exit status 1\): .*1 problem \(--fail-on ingest\)/);
    }
    // alarm and halt name nothing a series scorer finds; a clean input with --fail-on ingest exits 0.
    expect(runCli(["score-series", "-", "--fail-on", "alarm,halt"], { input: bad }).status).toBe(0);
    expect(runCli(["score-series", "-", "--fail-on", "ingest"], { input: good }).status).toBe(0);
  });

  it("exits 1, not 2, for a file that cannot be read (as cat and grep do), naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "rftfm-score-series-"));
    for (const path of [join(dir, "absent.csv"), dir]) {
      const result = runCli(["score-series", path, "--out", join(dir, "out.csv")]);
      expect(result.status, result.stderr).toBe(1);
      expect(result.stderr).toContain(`rftfm score-series: ${path}:0: cannot be read: `);
      expect(result.stderr).toMatch(/rftfm: failing \(exit status 1\): 1 source could not be read/);
    }
  });
});
