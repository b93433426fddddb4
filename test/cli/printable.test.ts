/**
 * Control characters in run names, metric names and excerpts of bad lines are
 * escaped in every readable output (scan's report, its feature tables, the
 * ingest report), so that input cannot clear the terminal or forge a line.
 */
import { describe, expect, it } from "vitest";
import { IngestReport } from "../../src/ingest/report.js";
import { printable } from "../../src/telemetry/printable.js";
import { runCli } from "./run-cli.js";

const FORGED = "x\u001b[2J\r\nrun y: 40 steps, no alarm\u202e";
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

describe("printable", () => {
  it("escapes controls, line ends and bidi overrides; leaves other text as it is", () => {
    expect(printable(FORGED)).toBe("x\\x1b[2J\\r\\nrun y: 40 steps, no alarm\\u202e");
    expect(printable("reward_mean é 中")).toBe("reward_mean é 中");
  });

  it("runs in linear time", () => {
    const started = performance.now();
    printable("\u001b".repeat(200_000));
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("readable outputs", () => {
  it("the ingest report's summary escapes names and reasons", () => {
    const report = new IngestReport();
    report.addProblem({ source: `f${FORGED}.log`, line: 1, reason: `bad ${FORGED}` }, "malformed");
    const text = report.summary();
    expect(text).not.toMatch(UNPRINTABLE);
    expect(text.split("\n").some((line) => line.startsWith("run y"))).toBe(false);
  });

  it("scan's run report and feature tables escape run and metric names", () => {
    const lines = [0, 1, 2].map((step) =>
      JSON.stringify({ kind: "step", run: FORGED, step, metrics: { [`m${FORGED}`]: step, reward_mean: 1 } }),
    );
    for (const args of [
      ["scan", "-"],
      ["scan", "-", "--features"],
    ]) {
      const result = runCli(args, { input: `${lines.join("\n")}\n` });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout, args.join(" ")).not.toMatch(UNPRINTABLE);
      expect(result.stdout.split("\n").some((line) => line.startsWith("run y"))).toBe(false);
      expect(result.stdout).toContain("x\\x1b[2J\\r\\nrun y: 40 steps, no alarm\\u202e");
    }
  });
});
