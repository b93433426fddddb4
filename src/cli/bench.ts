/**
 * The one seam between the CLI and the benchmark: `rftfm demo` and
 * `rftfm faultbench ...` are the benchmark's commands (bench/cli), loaded only
 * when the command line asks for one of them (or for the list of commands), by
 * location rather than by import, so that the CLI's bundle does not carry the
 * benchmark's trainer and the library never imports bench/. From source it is
 * bench/cli/index.ts; in the package, dist/faultbench.js beside dist/cli.js.
 */
import type { Command } from "commander";
import { numberArg } from "./number-arg.js";
import { formatDuration, progressReporter } from "./progress.js";
import { formatCell, renderTable } from "./table.js";

/** The CLI's helpers the benchmark's commands use (bench/cli/tools.ts declares the same shape). */
export const CLI_TOOLS = { numberArg, progressReporter, formatDuration, renderTable, formatCell };

/** What the benchmark's entry exports (test/cli/bench-seam.test.ts holds bench/cli/index.ts to it). */
export interface BenchEntry {
  registerBenchCommands(program: Command, tools: typeof CLI_TOOLS): void;
}

const BENCH_ENTRY = import.meta.url.endsWith(".ts") ? "../../bench/cli/index.ts" : "./faultbench.js";

/**
 * Adds the benchmark's commands unless the command line names one of the
 * commands already registered: loading the trainer is for `demo`,
 * `faultbench`, the help that lists every command, and a name to suggest for.
 */
export async function registerBenchWhenAsked(program: Command, args: readonly string[]): Promise<void> {
  const named = args.find((arg) => !arg.startsWith("-"));
  if (named !== undefined && program.commands.some((c) => c.name() === named || c.aliases().includes(named))) return;
  let entry: BenchEntry;
  try {
    entry = await import(new URL(BENCH_ENTRY, import.meta.url).href);
  } catch (error) {
    // The other commands still work; `demo` and `faultbench` are then unknown, after this line.
    process.stderr.write(`rftfm: the benchmark's commands did not load: ${(error as Error).message}\n`);
    return;
  }
  entry.registerBenchCommands(program, CLI_TOOLS);
}
