/**
 * The rftfm command line: one module per command, registered from COMMANDS;
 * the benchmark's commands (demo, faultbench) load only when asked for (bench.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { BACKEND_ENV, preferenceFromEnv, selectKernels } from "../backend/load.js";
import { packageRoot } from "../backend/package-root.js";
import { registerBenchWhenAsked } from "./bench.js";
import { registerCalibrate } from "./calibrate.js";
import type { CliContext, RegisterCommand } from "./command.js";
import { registerFingerprints } from "./fingerprints.js";
import { registerReport } from "./report.js";
import { registerRun } from "./run.js";
import { registerScan } from "./scan.js";
import { registerScoreSeries } from "./score-series.js";
import { registerServe } from "./serve.js";
import { applySettings } from "./settings.js";
import { registerWatch } from "./watch.js";

/** The commands, in the order `rftfm --help` lists them: add one with one line here. */
const COMMANDS: readonly RegisterCommand[] = [
  registerScan,
  registerWatch,
  registerReport,
  registerFingerprints,
  registerCalibrate,
  registerScoreSeries,
  registerServe,
  registerRun,
];

const version = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")).version as string;

const context: CliContext = {
  backendOption: new Option(
    "--backend <name>",
    `kernel backend: native (Rust addon), wasm (AssemblyScript build) or auto (native, falling back to wasm); default: $${BACKEND_ENV} or auto`,
  ).choices(["native", "wasm", "auto"]),
  kernelsFor: (choice) =>
    selectKernels({ prefer: (choice as "native" | "wasm" | "auto" | undefined) ?? preferenceFromEnv() }),
};

const program = new Command()
  .name("rftfm")
  .description(
    "Automatic failure management for reinforcement fine-tuning (RFT) runs: reads a run's telemetry " +
      "(step metrics and per-trajectory tensors) and reports what it finds.",
  )
  .version(version)
  .showHelpAfterError()
  // Usage errors exit 2 (below), not commander's 1: 1 is what `--fail-on` found. Set
  // before the commands are added, which inherit it.
  .exitOverride();

for (const register of COMMANDS) register(program, context);
// The shared settings not given as flags: RFTFM_* variables, then rftfm.config.json or
// [tool.rftfm] in pyproject.toml (settings.ts); a bad one is a usage error.
const commandNames = (c: Command): string[] => c.commands.flatMap((sub) => [sub.name(), ...commandNames(sub)]);
program.hook("preAction", (_program, command) => {
  const path: string[] = [];
  for (let c: Command | null = command; c && c !== program; c = c.parent) path.unshift(c.name());
  applySettings(command, path, process.env, process.cwd(), new Set(commandNames(program)));
});
await registerBenchWhenAsked(program, process.argv.slice(2));

// A reader that closes the pipe early (`| head`) is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

program.parseAsync().catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Commander printed the message (and the help); --help and --version end with 0.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
    return;
  }
  process.stderr.write(`rftfm: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
