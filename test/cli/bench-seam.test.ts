import { Command } from "commander";
import { describe, expect, it } from "vitest";
import * as benchEntry from "../../bench/cli/index.js";
import { type BenchEntry, CLI_TOOLS } from "../../src/cli/bench.js";

describe("the CLI's seam to the benchmark", () => {
  it("loads an entry of the shape the CLI expects, which adds demo and faultbench", () => {
    // Compile-time: the benchmark's entry takes the helpers the CLI lends (typecheck fails otherwise).
    const entry: BenchEntry = benchEntry;
    const program = new Command();
    entry.registerBenchCommands(program, CLI_TOOLS);
    expect(program.commands.map((c) => c.name())).toEqual(["demo", "faultbench"]);
    expect(program.commands.find((c) => c.name() === "faultbench")!.commands.map((c) => c.name())).toEqual([
      "generate",
      "eval",
      "remediate",
    ]);
  });
});
