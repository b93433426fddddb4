/**
 * `rftfm calibrate FILE... --out setup.json`: learns a setup's healthy prior
 * and noise from a few unlabelled healthy runs of that setup
 * (docs/calibration.md), for `scan|watch --calibration setup.json`. Runs that
 * do not look like one setup are refused (exit 2, the message names the run).
 */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { calibrate } from "../monitor/calibrate.js";
import { formatCalibration } from "../monitor/calibration-file.js";
import type { CliContext } from "./command.js";
import { addReadOptions, formatsHelp, type ReadCommandOptions, readOptions } from "./read-options.js";

interface CalibrateFlags extends ReadCommandOptions {
  out: string;
  fingerprints?: string;
  setup?: string;
  backend?: string;
}

export function registerCalibrate(program: Command, { backendOption, kernelsFor }: CliContext): void {
  const command = addReadOptions(
    program
      .command("calibrate")
      .description(
        "Learn a setup's healthy reference from 1-5 healthy runs of it (no labels): per signal and point of training " +
          "(the step number), what healthy runs of the setup look like, and each signal's step-to-step noise. " +
          "scan and watch --calibration then judge runs of that setup against it, which catches faults present from " +
          "step 0 (a wrong LR, a mis-set temperature, a KL penalty left off). Runs that do not look like one setup " +
          "(different signals, lengths or logging cadences more than a factor 2 apart, levels more than a factor 10 " +
          "apart) are refused, naming the run (exit status 2).",
      )
      .argument(
        "<files...>",
        "telemetry of healthy runs of the setup (any format scan reads; each run in them counts)",
      ),
  )
    .requiredOption("--out <file>", "where to write the calibration (JSON)")
    .option("--fingerprints <file>", "fingerprint set whose signals are calibrated (default: the shipped one)")
    .option("--setup <name>", "a name for the setup, kept in the calibration's source")
    .addOption(backendOption)
    .addHelpText(
      "after",
      `${formatsHelp()}\nExample:\n  rftfm calibrate runs/healthy-*.jsonl.gz --out setup.json\n  rftfm scan runs/new.jsonl.gz --calibration setup.json\n`,
    );
  command.action(async (files: string[], flags: CalibrateFlags) => {
    const calibration = await calibrate(files, {
      kernels: kernelsFor(flags.backend),
      read: readOptions(flags),
      fingerprints: flags.fingerprints,
      source: flags.setup === undefined ? {} : { setup: flags.setup },
    });
    writeFileSync(flags.out, formatCalibration(calibration));
    process.stderr.write(
      `calibrated from ${calibration.runs} runs, ${calibration.steps} steps: ${calibration.signals.length} signals, ` +
        `${calibration.prior.buckets} buckets of ${calibration.prior.width} steps. Written to ${flags.out}\n`,
    );
  });
}
