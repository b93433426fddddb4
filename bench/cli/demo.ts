/**
 * `rftfm demo`: the README's main job. Trains the built-in model with a fault
 * injected, watches it live with the monitor acting, and prints when the fault
 * was detected, the diagnosis with its evidence, the actions taken and the
 * outcome beside the same run without remediation (bench/faultbench/demo.ts).
 * The package's README leads with it; it lives with the benchmark because it
 * trains the benchmark's model.
 */
import { type Command, Option } from "commander";
import {
  CANDIDATE_SIGNALS,
  describeAction,
  describeAnomalies,
  featureRecord,
  ReportCollector,
  type StepData,
  type StepFeatures,
  type Verdict,
  writeReport,
} from "../../src/index.js";
import { type DemoResult, runDemo } from "../faultbench/demo.js";
import { FAULT_IDS, type FaultId, SEVERITIES, type Severity } from "../faultbench/faults.js";
import type { CliTools } from "./tools.js";

interface DemoFlags {
  fault: FaultId;
  severity: Severity;
  seed: number;
  json?: boolean;
  /** Where the monitored run's HTML report goes; false: none. */
  report: string | false;
}

/** Where the demo writes the monitored run's report unless told otherwise. */
const DEFAULT_REPORT = "rftfm-demo-report.html";

const watched: ReadonlySet<string> = new Set(CANDIDATE_SIGNALS);

/** The monitored run's curves and verdicts, for its report (what `rftfm report` would show of its log). */
function demoReport(): {
  observe: (verdict: Verdict, scanned: StepFeatures<StepData>) => void;
  write: (path: string, source: string) => void;
} {
  const collector = new ReportCollector({ keep: (s) => !s.includes(".") || watched.has(s) });
  return {
    observe: (verdict, scanned) =>
      collector.observe(scanned.data, { ...scanned.data.metrics, ...featureRecord(scanned) }, verdict),
    write: (path, source) =>
      writeReport(
        path,
        collector.build(() => undefined, { sources: [source] }),
      ),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function report(r: DemoResult, duration: string): string {
  const lines: string[] = [""];
  const fault = r.spec.fault!;
  lines.push(`fault injected: ${fault.fault} (${fault.severity}) from step ${r.onset}`);
  if (!r.firstAlarm) {
    lines.push("detected: no alarm was raised");
  } else {
    const a = r.firstAlarm as Verdict;
    lines.push(`detected: step ${a.step} (${a.step - r.onset} steps after onset): ${describeAnomalies(a.anomalies)}`);
  }
  const d = (r.diagnosis as Verdict | null)?.diagnosis ?? [];
  if (d.length) {
    lines.push(
      `diagnosis: ${d[0].fault} (${d[0].family}), confidence ${d[0].confidence.toFixed(2)}${d[0].fault === fault.fault ? "  [correct]" : `  [the injected fault was ${fault.fault}]`}`,
    );
    for (const e of d[0].evidence) lines.push(`  - ${e}`);
    if (d.length > 1)
      lines.push(
        `  runners-up: ${d
          .slice(1, 4)
          .map((x) => `${x.fault} ${x.confidence.toFixed(2)}`)
          .join(", ")}`,
      );
  }
  lines.push(r.actions.length ? "actions taken:" : "actions taken: none");
  for (const { step, action, reason } of r.actions)
    lines.push(`  step ${step}: ${describeAction(action)}${reason ? `  (${reason})` : ""}`);
  if (r.monitored.halted) lines.push(`run halted at step ${r.monitored.steps}: ${r.monitored.halted}`);
  lines.push("");
  lines.push("final held-out accuracy (greedy, 200 problems):");
  lines.push(`  healthy run, same seed and settings:   ${pct(r.reference.finalAccuracy)}`);
  lines.push(
    `  faulty run, left alone:                ${pct(r.unmonitored.finalAccuracy)}${r.unremediatedRecovered ? "" : "  (degraded)"}`,
  );
  lines.push(`  faulty run, rftfm in the loop:         ${pct(r.monitored.finalAccuracy)}`);
  const verdict = r.recovered
    ? r.unremediatedRecovered
      ? "within 5 points of healthy, as the run left alone also was"
      : "recovered: within 5 points of healthy, where the run left alone was not"
    : "not recovered: more than 5 points below healthy";
  lines.push(`outcome: ${verdict}. (${duration})`);
  return `${lines.join("\n")}\n`;
}

export function registerDemo(program: Command, { numberArg, formatDuration }: CliTools): void {
  program
    .command("demo")
    .description(
      "Train the built-in GRPO model (a tiny language model learning 2-digit addition with a calculator tool) with a " +
        "fault injected, monitor it live with rftfm acting on it, and print when the fault was detected, the diagnosis " +
        "with evidence, the actions taken, and the final accuracy beside the healthy run and the same faulty run " +
        "without remediation. The run is from the fault benchmark's test split: the shipped fingerprints never saw it.",
    )
    .addOption(new Option("--fault <id>", "fault to inject").choices(FAULT_IDS).default("tool_failure"))
    .addOption(new Option("--severity <level>", "how strong").choices([...SEVERITIES]).default("severe"))
    .option(
      "--seed <n>",
      "which test seed of the benchmark plan (0-3)",
      numberArg({ integer: true, min: 0, expected: "a whole number >= 0" }),
      0,
    )
    .option("--json", "print the result as one JSON object")
    .option(
      "--report <file>",
      `write the monitored run's HTML report here (as rftfm report draws it; default ${DEFAULT_REPORT})`,
      DEFAULT_REPORT,
    )
    .option("--no-report", "write no report")
    .action(async (flags: DemoFlags) => {
      const started = Date.now();
      const tty = process.stderr.isTTY === true;
      process.stderr.write(
        `rftfm demo: training ${flags.fault} (${flags.severity}) three times: healthy reference and faulty run ` +
          "unmonitored in the background, and the faulty run with rftfm in the loop here.\n",
      );
      const pictures = flags.report ? demoReport() : undefined;
      const onStep = (
        v: Verdict,
        s: { reward: number; correct: number; total: number },
        scanned: StepFeatures<StepData>,
      ) => {
        pictures?.observe(v, scanned);
        const status = `step ${String(v.step).padStart(3)}/${s.total}  reward ${s.reward.toFixed(2)}  correct ${s.correct.toFixed(2)}  ${v.anomalous ? "ALARM" : "ok"}`;
        if (tty) process.stderr.write(`\r${status}\x1b[K`);
        else if (v.step % 10 === 0) process.stderr.write(`${status}\n`);
        const notes: string[] = [];
        if (v.anomalous && v.anomalies.length)
          notes.push(`step ${v.step}: alarm: ${describeAnomalies(v.anomalies, 3)}`);
        for (const a of v.actions) notes.push(`step ${v.step}: action: ${describeAction(a)}`);
        if (notes.length) process.stderr.write(`${(tty ? "\r\x1b[K" : "") + notes.join("\n")}\n`);
      };
      const result = await runDemo({ fault: flags.fault, severity: flags.severity, seedIndex: flags.seed, onStep });
      if (tty) process.stderr.write("\r\x1b[K");
      if (pictures && flags.report)
        pictures.write(
          flags.report,
          `rftfm demo --fault ${flags.fault} --severity ${flags.severity} --seed ${flags.seed}`,
        );
      const where = flags.report ? { report: flags.report } : {};
      process.stdout.write(
        flags.json
          ? `${JSON.stringify({ ...result, ...where })}\n`
          : report(result, formatDuration((Date.now() - started) / 1000)) +
              (flags.report ? `report of the monitored run (open it in a browser): ${flags.report}\n` : ""),
      );
    });
}
