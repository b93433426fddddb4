/**
 * `rftfm faultbench`: the fault benchmark's commands (generate a labelled
 * corpus of training runs, evaluate the library on it, measure remediation).
 */
import { join } from "node:path";
import { type Command, Option } from "commander";
import { DEVIATION_UNITS, type DeviationUnits, encodeJson } from "../../src/index.js";
import { DEFAULT_CORPUS } from "../faultbench/corpus.js";
import { evaluateCorpus } from "../faultbench/eval.js";
import { generateCorpus } from "../faultbench/generate.js";
import { evaluateLeaveOneSetupOut } from "../faultbench/loso.js";
import { runRemediation } from "../faultbench/remediate.js";
import { SETUP_NAMES, SETUPS, selectSetups } from "../faultbench/setups.js";
import { renderEval, renderLoso, renderRemediation } from "./report.js";
import type { CliTools } from "./tools.js";

const stderrSink = () => ({ stream: process.stderr, isTTY: process.stderr.isTTY === true });

interface EvalFlags {
  corpus: string;
  split: "test" | "train" | "all";
  json?: boolean;
  fingerprints?: string;
  zeroShot?: boolean;
  setups?: string[];
  leaveOneSetupOut?: boolean;
  deviation?: DeviationUnits;
}

interface RemediateFlags {
  json?: boolean;
  quick?: boolean;
  sidecar?: boolean;
  workers?: number;
}

interface GenerateFlags {
  out: string;
  runs?: number;
  seed: number;
  steps?: number;
  workers?: number;
  setups?: string[];
}

/** A comma-separated list of names. */
const nameList = (text: string) =>
  text
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);

export function registerFaultbench(program: Command, tools: CliTools): void {
  const { numberArg, progressReporter, formatDuration } = tools;
  const count = numberArg({ integer: true, min: 0, expected: "a whole number >= 0" });
  const atLeastOne = numberArg({ integer: true, min: 1, expected: "a whole number >= 1" });
  /** A fresh Option for each command that takes it: a commander Option belongs to one command. */
  const workersOption = () =>
    new Option(
      "--workers <n>",
      "worker processes (default: one per core; 0 runs everything in this process)",
    ).argParser(count);

  const faultbench = program
    .command("faultbench")
    .description(
      "The fault benchmark: a real (tiny) GRPO trainer with 16 injectable faults, in several setups (tasks with and without a tool, model sizes, batches, logging cadences). " +
        "Generate a labelled corpus of runs, evaluate the library's detection and diagnosis on it, " +
        "and measure remediation with the monitor in the training loop. See docs/faultbench.md.",
    );

  faultbench
    .command("generate")
    .description(
      "Train every run of the corpus plan (per setup: every fault x severity x seed, plus healthy runs) on all cores " +
        "and write one telemetry file per run (DIR/runs/*.jsonl.gz) and DIR/labels.json " +
        "(run -> setup, fault, family, severity, onset, seed, split; and what each setup is).",
    )
    .requiredOption("--out <dir>", "directory to write the corpus into (created if missing)")
    .option("--runs <n>", "keep only N runs of the plan, spread evenly over its labels (a smaller corpus)", atLeastOne)
    .option(
      "--seed <s>",
      "base seed: another value draws another corpus of the same shape",
      count,
      DEFAULT_CORPUS.baseSeed,
    )
    .option(
      "--steps <n>",
      "training steps of every run, over each setup's own (mid-run onsets scale with it)",
      atLeastOne,
    )
    .option(
      "--setups <names>",
      `only these setups (comma-separated; default: all of ${SETUP_NAMES.join(", ")}; see docs/faultbench.md)`,
      nameList,
    )
    .addOption(workersOption())
    .addHelpText("after", `\nSetups:\n${SETUPS.map((s) => `  ${s.run.name}: ${s.description}`).join("\n")}`)
    .action(async (flags: GenerateFlags) => {
      const started = Date.now();
      // An unknown setup name is an error before anything trains.
      selectSetups(flags.setups);
      const labels = await generateCorpus({
        out: flags.out,
        setups: flags.setups,
        steps: flags.steps,
        baseSeed: flags.seed,
        runs: flags.runs,
        workers: flags.workers,
        progress: progressReporter("generate", stderrSink()),
      });
      const runs = Object.keys(labels.runs).length;
      process.stderr.write(
        `generated ${runs} runs in ${formatDuration((Date.now() - started) / 1000)}; labels: ${join(flags.out, "labels.json")}\n`,
      );
    });

  faultbench
    .command("eval")
    .description(
      "Run the library over the runs of a corpus split, one run at a time, and report per fault type, family and " +
        "severity: detection precision, recall and F1 (detected = first alarm at or after onset; an alarm before onset " +
        "or on a healthy run is a false alarm), false-alarm rate on healthy runs, detection delay (median, p90), " +
        "diagnosis top-1/top-3 accuracy for type and family, and the flag-everything baseline on the same runs. " +
        "The library runs as a Monitor with the given fingerprint set (default: the shipped one) and no remediation.",
    )
    .requiredOption("--corpus <dir>", "corpus directory written by faultbench generate")
    .addOption(
      new Option("--split <split>", "which runs to evaluate (splits are by seed)")
        .choices(["test", "train", "all"])
        .default("test"),
    )
    .option("--json", "print one JSON object: settings, scores and every run's outcome")
    .option(
      "--zero-shot",
      "judge every run zero-shot: no healthy prior of the corpus's setup, as on a setup the library has never seen (the default for a user's run)",
    )
    .option(
      "--fingerprints <file>",
      "fingerprint set to use (default: the shipped one, learnt from the default corpus's train split)",
    )
    .option(
      "--setups <names>",
      "only runs of these setups (comma-separated; labels.json `setup`): runs of other setups are never read",
      nameList,
    )
    .option(
      "--leave-one-setup-out",
      "for each setup (or each of --setups): learn fingerprints from the other setups' runs (every split), then judge " +
        "the setup's runs zero-shot and calibrated on its first 3 healthy runs by id (those 3 judged in neither mode); " +
        "per setup and overall (docs/faultbench.md). --split, --zero-shot and --fingerprints do not apply",
    )
    .addOption(
      new Option(
        "--deviation <units>",
        "with --leave-one-setup-out: the units fingerprints are learnt in (noise, the default, or trend: see rftfm fingerprints learn)",
      ).choices(DEVIATION_UNITS),
    )
    .addHelpText(
      "after",
      "\nLearn fingerprints on --split train only (rftfm fingerprints learn) and evaluate on test; the shipped set was learnt that way (docs/faultbench.md).",
    )
    .action(async (flags: EvalFlags) => {
      if (flags.leaveOneSetupOut) {
        const given = [
          flags.zeroShot && "--zero-shot",
          flags.fingerprints && "--fingerprints",
          flags.split !== "test" && "--split",
        ].filter(Boolean);
        if (given.length)
          program.error(
            `faultbench eval --leave-one-setup-out: ${given.join(", ")} do not apply (it learns and judges every split)`,
            {
              exitCode: 2,
            },
          );
        const loso = await evaluateLeaveOneSetupOut({
          corpus: flags.corpus,
          setups: flags.setups,
          deviation: flags.deviation,
          progress: (stage) => process.stderr.write(`loso: ${stage}\n`),
        });
        process.stdout.write(flags.json ? `${encodeJson(loso)}\n` : renderLoso(loso, tools));
        return;
      }
      const result = await evaluateCorpus({
        corpus: flags.corpus,
        split: flags.split,
        setups: flags.setups,
        fingerprints: flags.fingerprints,
        prior: !flags.zeroShot,
        progress: process.stderr.isTTY ? progressReporter("eval", stderrSink()) : undefined,
      });
      process.stdout.write(flags.json ? `${encodeJson(result)}\n` : renderEval(result, tools));
    });

  faultbench
    .command("remediate")
    .description(
      "Train the remediable faulty configurations of the test seeds without and with the monitor in the loop " +
        "applying its actions, and the healthy configurations of the same seeds likewise. Reports the share of " +
        "faulty runs whose final held-out accuracy ends within 5 points of the matched healthy run, with and " +
        "without the monitor, and the actions taken on healthy runs. The monitor is the library's Monitor with the " +
        "shipped fingerprints, their healthy prior and the remediation policy acting (docs/faultbench.md).",
    )
    .option(
      "--json",
      "print one JSON object (recovered_share, unremediated_recovered_share, healthy_action_rate, every run)",
    )
    .option("--quick", "a reduced set: one test seed, severe faults only (a few minutes)")
    .option(
      "--sidecar",
      "reach the monitor through rftfm serve's protocol (JSON lines, as the Python client does) instead of its API",
    )
    .addOption(workersOption())
    .action(async (flags: RemediateFlags) => {
      const started = Date.now();
      const report = await runRemediation({
        corpus: DEFAULT_CORPUS,
        observer: flags.sidecar ? "sidecar" : "monitor",
        quick: flags.quick === true,
        workers: flags.workers,
        progress: progressReporter("remediate", stderrSink()),
      });
      process.stderr.write(`remediate took ${formatDuration((Date.now() - started) / 1000)}\n`);
      process.stdout.write(flags.json ? `${encodeJson(report)}\n` : renderRemediation(report, tools));
    });
}
