import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, Option } from "commander";
import { BACKEND_ENV, preferenceFromEnv, selectKernels } from "../backend/load.js";
import { packageRoot } from "../backend/package-root.js";
import { registerDemo } from "./demo.js";
import { registerFaultbench } from "./faultbench.js";
import { registerFingerprints } from "./fingerprints.js";
import { addReadOptions, formatsHelp } from "./read-options.js";
import { runScan, type ScanCommandOptions } from "./scan.js";
import { registerScoreSeries } from "./score-series.js";
import { registerWatch } from "./watch.js";

const version = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")).version as string;

const backendOption = new Option(
  "--backend <name>",
  `kernel backend: native (Rust addon), wasm (AssemblyScript build) or auto (native, falling back to wasm); default: $${BACKEND_ENV} or auto`,
).choices(["native", "wasm", "auto"]);

function kernelsFor(choice: string | undefined) {
  return selectKernels({ prefer: (choice as "native" | "wasm" | "auto" | undefined) ?? preferenceFromEnv() });
}

const program = new Command()
  .name("rftfm")
  .description(
    "Automatic failure management for reinforcement fine-tuning (RFT) runs: reads a run's telemetry " +
      "(step metrics and per-trajectory tensors) and reports what it finds.",
  )
  .version(version)
  .showHelpAfterError();

addReadOptions(
  program
    .command("scan")
    .description(
      "Judge runs from their telemetry: the monitor watches every step (step metrics and trajectory-tensor " +
        "features) and prints, per run, whether and when it raised an alarm, the diagnosis with its evidence and the " +
        "actions it recommends (with --features: each step's trajectory features instead). Reads rftfm's JSONL records and the logs trainers already write (TRL, verl, OpenRLHF, " +
        "ms-swift, W&B exports, Arrow and Parquet tables); the format is detected from each file's content. " +
        "What could not be used is skipped, counted and listed with file:line at the end.",
    )
    .argument(
      "<files...>",
      "telemetry files (gzip is detected), directories (every file in them, in natural order), or - for standard input",
    ),
)
  .option(
    "--json",
    "print one JSON line per run: the run summary of verdicts.md (run, steps, alarm, first_alarm_step, diagnosis, actions)",
  )
  .option(
    "--features",
    "print the scanner's per-step features instead: per-column statistics, per-group reward and advantage statistics, " +
      "correlations and rates (or the step's metrics when it sent no trajectories); with --json one line per step " +
      "(kind step_features), one per run (kind run), then the ingest report (kind ingest)",
  )
  .option(
    "--fingerprints <file>",
    "fingerprint set for the monitor (default: the shipped one; see rftfm fingerprints learn)",
  )
  .option(
    "--prior",
    "also judge each step against the fingerprint set's healthy runs at the same point of training (catches faults present from step 0; only for runs of the setup the set was learnt on; default: on with --fingerprints, off with the shipped set)",
  )
  .option("--no-prior", "do not use the healthy prior")
  .option(
    "--strict",
    "exit with status 1 when the ingest report lists any problem (a skipped line, a repeated step, ...)",
  )
  .addOption(backendOption)
  .addHelpText(
    "after",
    formatsHelp() +
      "\nExamples:\n  rftfm scan examples/small-run.jsonl\n  rftfm scan runs/*.jsonl.gz --json > summaries.jsonl\n" +
      "  rftfm scan run.jsonl --features --json > features.jsonl\n" +
      "  rftfm scan verl-train.log outputs/completions/\n  trainer | rftfm scan - --json",
  )
  .action(async (files: string[], options: ScanCommandOptions & { backend?: string }) => {
    process.exitCode = await runScan(kernelsFor(options.backend), files, options, {
      out: process.stdout,
      err: process.stderr,
    });
  });

registerWatch(program, backendOption, kernelsFor);
registerDemo(program);
registerFaultbench(program);
registerFingerprints(program, backendOption, kernelsFor);
registerScoreSeries(program, backendOption, kernelsFor);

// A reader that closes the pipe early (`| head`) is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`rftfm: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
