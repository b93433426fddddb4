/**
 * `rftfm fingerprints learn`: learns a fingerprint set (healthy prior, noise,
 * one fingerprint per fault type) from a labelled corpus and writes it as JSON
 * for `Monitor({ fingerprints })` and `--fingerprints` of the other commands.
 */
import { writeFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { DEVIATION_UNITS, type DeviationUnits, formatFingerprintSet } from "../monitor/fingerprint-set.js";
import { learnFingerprints } from "../monitor/learn.js";
import type { CliContext } from "./command.js";
import { progressReporter } from "./progress.js";

interface LearnFlags {
  corpus: string;
  split: string;
  out: string;
  setups?: string[];
  deviation: DeviationUnits;
  backend?: string;
}

export function registerFingerprints(program: Command, { backendOption, kernelsFor }: CliContext): void {
  const fingerprints = program
    .command("fingerprints")
    .description("Fault fingerprints: the deviation patterns the monitor matches an alarm against (docs/monitor.md).");
  fingerprints
    .command("learn")
    .description(
      "Learn a fingerprint set from a labelled corpus (DIR/labels.json: run -> file, fault, split; " +
        "`rftfm faultbench generate` writes one): the healthy prior and noise from its healthy runs, one fingerprint " +
        "per fault type from its faulty runs, and a calibrated confidence. Only the chosen split is read.",
    )
    .requiredOption("--corpus <dir>", "labelled corpus directory")
    .option("--split <name>", "split to learn from (train, test, or all)", "train")
    .option(
      "--setups <names>",
      "only runs of these setups (comma-separated; labels.json `setup`): runs of other setups are never read",
      (text: string) =>
        text
          .split(",")
          .map((name) => name.trim())
          .filter(Boolean),
    )
    .requiredOption("--out <file>", "where to write the fingerprint set (JSON)")
    .addOption(
      new Option(
        "--deviation <units>",
        "units of the deviation vectors: noise (against the healthy noise learnt here, the units of every set so far) " +
          "or trend (each run against its own trend, in its own noise: nothing learnt on a setup enters it; docs/calibration.md)",
      )
        .choices(DEVIATION_UNITS)
        .default("noise"),
    )
    .addOption(backendOption)
    .addHelpText(
      "after",
      "\nExample:\n  rftfm fingerprints learn --corpus corpus/ --split train --out my-fingerprints.json",
    )
    .action(async (flags: LearnFlags) => {
      const report = await learnFingerprints({
        corpus: flags.corpus,
        split: flags.split,
        setups: flags.setups,
        deviation: flags.deviation,
        kernels: kernelsFor(flags.backend),
        progress: progressReporter("learn", { stream: process.stderr, isTTY: process.stderr.isTTY === true }),
      });
      writeFileSync(flags.out, formatFingerprintSet(report.set));
      const learnt = report.set.fingerprints.map((f) => `${f.fault} (${f.runs})`).join(", ");
      process.stderr.write(
        `learnt from ${report.healthyRuns} healthy and ${report.faultyRuns} faulty runs: ${report.set.signals.length} signals, ` +
          `${report.set.fingerprints.length} fingerprints [${learnt}], temperature ${report.set.temperature}; ` +
          `${report.silentRuns.length} faulty runs raised no alarm. Written to ${flags.out}\n`,
      );
      for (const problem of report.problems) process.stderr.write(`  ${problem}\n`);
    });
}
