/**
 * The rftfm command line: one module per command, registered from COMMANDS;
 * the benchmark's commands (demo, faultbench) load only when asked for (bench.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, Option } from "commander";
import { BACKEND_ENV, preferenceFromEnv, selectKernels } from "../backend/load.js";
import { packageRoot } from "../backend/package-root.js";
import { registerBenchWhenAsked } from "./bench.js";
import type { CliContext, RegisterCommand } from "./command.js";
import { registerFingerprints } from "./fingerprints.js";
import { registerRun } from "./run.js";
import { registerScan } from "./scan.js";
import { registerScoreSeries } from "./score-series.js";
import { registerServe } from "./serve.js";
import { registerWatch } from "./watch.js";

/** The commands, in the order `rftfm --help` lists them: add one with one line here. */
const COMMANDS: readonly RegisterCommand[] = [
  registerScan,
  registerWatch,
  registerFingerprints,
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
  .showHelpAfterError();

for (const register of COMMANDS) register(program, context);
await registerBenchWhenAsked(program, process.argv.slice(2));

// A reader that closes the pipe early (`| head`) is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`rftfm: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
