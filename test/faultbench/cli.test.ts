import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatFingerprintSet } from "../../src/index.js";
import { runCli } from "../cli/run-cli.js";
import { FIXTURE_FINGERPRINTS, writeFixtureCorpus } from "./corpus-fixture.js";

describe("rftfm faultbench", () => {
  it("explains its commands and every option", () => {
    const help = runCli(["faultbench", "--help"]);
    expect(help.status).toBe(0);
    for (const command of ["generate", "eval", "remediate"]) expect(help.stdout).toContain(command);
    expect(runCli(["--help"]).stdout).toMatch(/demo \[options\]/);
    expect(runCli(["demo", "--help"]).stdout).toMatch(
      /--fault <id>[\s\S]*--severity <level>[\s\S]*--seed <n>[\s\S]*--json/,
    );
    expect(runCli(["fingerprints", "learn", "--help"]).stdout).toMatch(
      /--corpus <dir>[\s\S]*--split <name>[\s\S]*--out <file>/,
    );
    expect(help.stdout).not.toContain("__worker");
    const options: Record<string, string[]> = {
      generate: ["--out", "--runs", "--seed", "--steps", "--workers"],
      eval: ["--corpus", "--split", "--json", "--fingerprints"],
      remediate: ["--json", "--quick", "--workers"],
    };
    for (const [command, flags] of Object.entries(options)) {
      const text = runCli(["faultbench", command, "--help"]).stdout;
      for (const flag of flags) expect(text, `${command} ${flag}`).toMatch(new RegExp(`${flag}\\b.*\\S{3}`));
    }
  });

  it("evaluates a corpus: tables by default, one JSON object with --json", () => {
    const corpus = writeFixtureCorpus();
    const fingerprints = join(corpus, "fingerprints.json");
    writeFileSync(fingerprints, formatFingerprintSet(FIXTURE_FINGERPRINTS));
    const table = runCli(["faultbench", "eval", "--corpus", corpus, "--fingerprints", fingerprints]);
    expect(table.status).toBe(0);
    expect(table.stdout).toContain("split test: 5 runs (3 faulty, 2 healthy)");
    expect(table.stdout).toContain("false alarms on healthy runs: 1/2 (50.0%)");
    for (const heading of ["By family", "By fault type", "By severity", "Diagnosis over detected runs only"]) {
      expect(table.stdout).toContain(heading);
    }
    const json = runCli([
      "faultbench",
      "eval",
      "--corpus",
      corpus,
      "--split",
      "all",
      "--json",
      "--fingerprints",
      fingerprints,
    ]);
    expect(json.status).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({ split: "all", detector: { name: "monitor", fingerprints }, scores: { runs: 6 } });
    expect(result.runs).toHaveLength(6);
  });

  it("rejects a bad option value", () => {
    const bad = runCli(["faultbench", "eval", "--corpus", "x", "--split", "dev"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("--split");
  });

  it("generates through its worker processes when run from source", () => {
    const out = mkdtempSync(join(tmpdir(), "rftfm-faultbench-cli-"));
    const run = runCli(["faultbench", "generate", "--out", out, "--runs", "1", "--steps", "3", "--workers", "1"]);
    expect(run.stderr).toContain(`labels: ${join(out, "labels.json")}`);
    expect(run.status).toBe(0);
    const labels = JSON.parse(readFileSync(join(out, "labels.json"), "utf8"));
    expect(Object.keys(labels.runs)).toEqual(["s1-healthy-0"]);
    expect(labels.runs["s1-healthy-0"].steps).toBe(3);
  });
});
