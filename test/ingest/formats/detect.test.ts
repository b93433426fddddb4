import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { FORMAT_NAMES } from "../../../src/ingest/format.js";
import { example } from "../../telemetry/helpers.js";
import { formatFixture, readAll, tempDir } from "./helpers.js";

const dir = tempDir();

/** Every fixture, with the format it is written in. */
const FIXTURES: ReadonlyArray<[string, string]> = [
  ["trl-console.log", "trl-console"],
  ["trl-console-strings.log", "trl-console"],
  ["trainer_state.json", "trl-state"],
  ["trl-completions/completions_00001.parquet", "trl-completions"],
  ["verl-console-v04.log", "verl-console"],
  ["verl-console.log", "verl-console"],
  ["verl-file.jsonl", "verl-file"],
  ["verl-rollout/1.jsonl", "verl-rollout"],
  ["swift-logging.jsonl", "swift-jsonl"],
  ["openrlhf-history.jsonl", "wandb-jsonl"],
  ["wandb-export.csv", "wandb-csv"],
  ["wandb-panel.csv", "wandb-csv"],
];

describe("format detection, from content", () => {
  it.each(FIXTURES)("detects %s as %s", async (name, format) => {
    const path = formatFixture(name);
    const { report, steps } = await readAll([path]);
    expect(report.formats.get(path)).toBe(format);
    expect(steps.length).toBeGreaterThan(0);
  });

  it("detects the canonical JSONL (the default) and every fixture under a misleading name, gzipped", async () => {
    const canonical = example("small-run.jsonl");
    expect((await readAll([canonical])).report.formats.get(canonical)).toBe("canonical");
    for (const [name, format] of FIXTURES) {
      const disguised = join(dir, `${name.replace(/\W/g, "_")}.txt`);
      writeFileSync(disguised, gzipSync(readFileSync(formatFixture(name))));
      expect((await readAll([disguised])).report.formats.get(disguised), name).toBe(format);
    }
  });

  it("finds the first metric line after long start-up output", async () => {
    const path = join(dir, "late.log");
    const banner = Array.from({ length: 3000 }, (_, i) => `INFO loading shard ${i} {'weights': 'ok'}`).join("\n");
    writeFileSync(path, `${banner}\n(TaskRunner pid=1) step:1 - actor/entropy:0.5 - critic/score/mean:0.25\n`);
    const { steps, report } = await readAll([path]);
    expect(report.formats.get(path)).toBe("verl-console");
    expect(steps[0].metrics).toEqual({ entropy: 0.5, reward_mean: 0.25 });
    expect(report.otherLines).toBe(3000);
  });

  it("reports plain text that holds no telemetry once, and JSON lines that fit no format line by line", async () => {
    const text = join(dir, "notes.txt");
    writeFileSync(text, "hello\nworld\n");
    const plain = await readAll([text]);
    expect(plain.report.problems).toEqual([
      { source: text, line: 1, reason: expect.stringMatching(/^none of its 2 lines is telemetry/) },
    ]);
    const json = join(dir, "other.jsonl");
    writeFileSync(json, '{"a": 1}\n{"b": 2}\n');
    const other = await readAll([json]);
    expect(other.report.formats.get(json)).toBe("canonical");
    expect(other.report.malformedLines).toBe(2);
  });

  it("reads a source as the format forced, whatever it holds", async () => {
    const path = formatFixture("verl-file.jsonl");
    const forced = await readAll([path], { format: "canonical" });
    expect(forced.report.formats.get(path)).toBe("canonical");
    expect(forced.report.malformedLines).toBe(2);
    const csv = formatFixture("wandb-export.csv");
    expect((await readAll([csv], { format: "wandb-csv" })).steps).toHaveLength(3);
  });

  it("lists every format name once", () => {
    expect(new Set(FORMAT_NAMES).size).toBe(FORMAT_NAMES.length);
  });
});
