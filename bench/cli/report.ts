/** Readable tables for `rftfm faultbench eval` and `rftfm faultbench remediate`, laid out by the CLI's table helpers. */
import type { EvalResult } from "../faultbench/eval.js";
import { LOSO_MODES, type LosoMode, type LosoModeResult, type LosoResult } from "../faultbench/loso.js";
import type { DiagnosisAccuracy, GroupScores, Scores } from "../faultbench/metrics.js";
import type { RemediationReport } from "../faultbench/remediate.js";
import type { CliTools } from "./tools.js";

type TableTools = Pick<CliTools, "renderTable" | "formatCell">;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const accuracy = (d: DiagnosisAccuracy | null) =>
  d ? [d.type_top1, d.type_top3, d.family_top1, d.family_top3].map((x) => x.toFixed(2)) : ["-", "-", "-", "-"];

const DETECTION_HEADER = [
  "group",
  "faulty",
  "TP",
  "FP",
  "early",
  "FN",
  "prec",
  "recall",
  "F1",
  "delay.p50",
  "delay.p90",
  "type@1",
  "type@3",
  "fam@1",
  "fam@3",
  "flag-all.P",
  "flag-all.F1",
];

function detectionRow(g: GroupScores, formatCell: TableTools["formatCell"]): string[] {
  const d = g.detection;
  const num = (x: number | null) => (x === null ? "-" : formatCell(x));
  return [
    g.group,
    String(g.faulty),
    String(d.tp),
    String(d.fp),
    String(d.early),
    String(d.fn),
    d.precision.toFixed(2),
    d.recall.toFixed(2),
    d.f1.toFixed(2),
    num(g.delay.median),
    num(g.delay.p90),
    ...accuracy(g.diagnosis),
    g.flag_everything.precision.toFixed(2),
    g.flag_everything.f1.toFixed(2),
  ];
}

export function renderEval(result: EvalResult, { renderTable, formatCell }: TableTools): string {
  const s = result.scores;
  const d = result.detector;
  const healthyAlarms = Math.round((s.false_alarm_rate ?? 0) * s.healthy);
  const lines = [
    `corpus ${result.corpus}, split ${result.split}${result.setups ? `, setups ${result.setups.join(", ")}` : ""}: ${s.runs} runs (${s.faulty} faulty, ${s.healthy} healthy)`,
    `detector: ${d.name} (fingerprints: ${d.fingerprints})`,
    `false alarms on healthy runs: ${healthyAlarms}/${s.healthy}` +
      (s.false_alarm_rate === null ? "" : ` (${pct(s.false_alarm_rate)})`),
    `macro F1 over the ${s.groups.filter((g) => g.by === "family").length} families: detector ${s.macro_f1.detector.toFixed(2)}, ` +
      `flag-everything ${s.macro_f1.flag_everything.toFixed(2)}`,
    "",
    "Detection on {group's faulty runs} + {all healthy runs of the split}; delay in steps after onset; " +
      "diagnosis top-k over all faulty runs of the group (type@k, fam@k); flag-all: flag-everything baseline.",
  ];
  const table = (title: string, by: GroupScores["by"][]) => {
    lines.push(
      "",
      title,
      renderTable(
        DETECTION_HEADER,
        s.groups.filter((g) => by.includes(g.by)).map((g) => detectionRow(g, formatCell)),
      ),
    );
  };
  if (result.by_setup) {
    lines.push(
      "",
      "By setup (each setup's faulty runs against its own healthy runs)",
      renderTable(
        [
          "setup",
          "faulty",
          "healthy",
          "false alarms",
          "F1",
          "F1 subtle",
          "F1 severe",
          "delay.p50",
          "type@1 det",
          "fam@1 det",
        ],
        Object.entries(result.by_setup).map(([setup, scores]) => setupRow(setup, scores, formatCell)),
      ),
    );
  }
  table("By family", ["all", "family"]);
  table("By fault type", ["fault"]);
  table("By severity", ["severity"]);
  table("By onset and severity", ["onset"]);
  lines.push(
    "",
    "Diagnosis over detected runs only",
    renderTable(
      ["group", "detected", "type@1", "type@3", "fam@1", "fam@3"],
      s.groups.map((g) => [g.group, String(g.detection.tp), ...accuracy(g.diagnosis_detected)]),
    ),
  );
  if (result.problems.length) lines.push("", `ingest problems in ${result.problems.length} runs:`, ...result.problems);
  return `${lines.join("\n")}\n`;
}

function setupRow(setup: string, s: Scores, formatCell: TableTools["formatCell"]): string[] {
  const group = (by: GroupScores["by"], name: string) => s.groups.find((g) => g.by === by && g.group === name);
  const f1 = (g: GroupScores | undefined) => (g ? g.detection.f1.toFixed(2) : "-");
  const all = group("all", "all");
  const alarms = Math.round((s.false_alarm_rate ?? 0) * s.healthy);
  const detected = all?.diagnosis_detected ?? null;
  return [
    setup,
    String(s.faulty),
    String(s.healthy),
    `${alarms}/${s.healthy}`,
    f1(all),
    f1(group("severity", "subtle")),
    f1(group("severity", "severe")),
    all?.delay.median === null || all === undefined ? "-" : formatCell(all.delay.median),
    detected ? detected.type_top1.toFixed(2) : "-",
    detected ? detected.family_top1.toFixed(2) : "-",
  ];
}

/** A run's actions as `step:kind(args)`, e.g. `16:rollback(15) 16:scale_lr(0.5)`. */
function actionsText(actions: RemediationReport["runs"][number]["actions"]): string {
  return actions
    .map(({ step, action }) => {
      const args = Object.entries(action)
        .filter(([key]) => key !== "kind")
        .map(([, value]) => String(value))
        .join(",");
      return `${step}:${action.kind}${args ? `(${args})` : ""}`;
    })
    .join(" ");
}

/** One line per run that had actions (a table would right-align them out of reach). */
function actionLines(runs: { run: string; actions: RemediationReport["runs"][number]["actions"] }[]): string[] {
  const acted = runs.filter((r) => r.actions.length > 0);
  return acted.length ? acted.map((r) => `  ${r.run}: ${actionsText(r.actions)}`) : ["  none"];
}

export function renderRemediation(report: RemediationReport, { renderTable }: TableTools): string {
  const tol = Math.round(report.tolerance * 100);
  const lines = [
    `monitor: ${report.observer}; seeds ${report.seeds.join(", ")}; severities ${report.severities.join(", ")}` +
      (report.quick ? " (quick)" : ""),
    `recovered (final accuracy >= matched healthy - ${tol} points): ${pct(report.recovered_share)} with the monitor, ` +
      `${pct(report.unremediated_recovered_share)} without (${report.runs.length} faulty runs)`,
    `healthy runs: ${pct(report.healthy_action_rate)} had an action; ${pct(report.healthy_kept_share)} ended within ${tol} points ` +
      `of themselves without the monitor (${report.healthy.length} runs)`,
    "",
    "Per fault",
    renderTable(
      ["fault", "runs", "recovered", "without monitor"],
      report.per_fault.map((f) => [f.fault, String(f.runs), String(f.recovered), String(f.unremediated_recovered)]),
    ),
    "",
    "Faulty runs (final held-out accuracy; reference: the matched healthy run without the monitor)",
    renderTable(
      ["run", "reference", "without", "with", "recovered", "actions"],
      report.runs.map((r) => [
        r.run,
        r.reference_accuracy.toFixed(3),
        r.unmonitored_accuracy.toFixed(3),
        r.monitored_accuracy.toFixed(3),
        r.recovered ? "yes" : "no",
        String(r.actions.length),
      ]),
    ),
    "",
    "Healthy runs",
    renderTable(
      ["run", "without", "with", "kept", "actions"],
      report.healthy.map((r) => [
        r.run,
        r.unmonitored_accuracy.toFixed(3),
        r.monitored_accuracy.toFixed(3),
        r.kept ? "yes" : "no",
        String(r.actions.length),
      ]),
    ),
    "",
    "Actions taken (step:kind(args)), faulty runs",
    ...actionLines(report.runs),
    "Actions taken, healthy runs",
    ...actionLines(report.healthy),
  ];
  return `${lines.join("\n")}\n`;
}

const LOSO_HEADER = [
  "setup",
  "mode",
  "faulty",
  "healthy",
  "false alarms",
  "F1 mid sub",
  "F1 mid mod",
  "F1 mid sev",
  "F1 s0 sub",
  "F1 s0 mod",
  "F1 s0 sev",
  "F1 all",
  "delay.p50",
  "type@1 det",
  "fam@1 det",
  "healthy actions",
];

/** One row of the leave-one-setup-out table: a held setup (or all of them pooled) in one mode. */
function losoRow(
  setup: string,
  mode: LosoMode,
  r: Omit<LosoModeResult, "runs" | "problems">,
  formatCell: TableTools["formatCell"],
): string[] {
  const s = r.scores;
  const group = (by: GroupScores["by"], name: string) => s.groups.find((g) => g.by === by && g.group === name);
  const f1 = (g: GroupScores | undefined) => (g ? g.detection.f1.toFixed(2) : "-");
  const all = group("all", "all");
  const alarms = Math.round((s.false_alarm_rate ?? 0) * s.healthy);
  const detected = all?.diagnosis_detected ?? null;
  const onset = (when: string) => SEVERITY_ORDER.map((sev) => f1(group("onset", `${when} ${sev}`)));
  return [
    setup,
    mode.replace("_", "-"),
    String(s.faulty),
    String(s.healthy),
    `${alarms}/${s.healthy}`,
    ...onset("mid-run"),
    ...onset("from step 0"),
    f1(all),
    all === undefined || all.delay.median === null ? "-" : formatCell(all.delay.median),
    detected ? detected.type_top1.toFixed(2) : "-",
    detected ? detected.family_top1.toFixed(2) : "-",
    `${r.healthy_actions.actions} (${r.healthy_actions.runs} runs)`,
  ];
}

const SEVERITY_ORDER = ["subtle", "moderate", "severe"] as const;

export function renderLoso(result: LosoResult, { renderTable, formatCell }: TableTools): string {
  const rows: string[][] = [];
  for (const r of result.setups) for (const mode of LOSO_MODES) rows.push(losoRow(r.setup, mode, r[mode], formatCell));
  for (const mode of LOSO_MODES) rows.push(losoRow("overall", mode, result.overall[mode], formatCell));
  const lines = [
    `corpus ${result.corpus}: leave-one-setup-out over setups ${result.setups.map((r) => r.setup).join(", ")}`,
    `each held setup: fingerprints learnt from the other setups' runs (every split); zero-shot = no prior; ` +
      `calibrated = calibrate on its first ${result.calibration_runs} healthy runs by id (not judged in either mode)`,
    "",
    ...result.setups.map(
      (r) =>
        `  ${r.setup}: learnt from ${r.learnt_from.join(", ")} (${r.learnt.healthy_runs} healthy, ${r.learnt.faulty_runs} faulty runs); ` +
        `calibrated on ${r.calibration_runs.join(", ")}`,
    ),
    "",
    "F1 per severity on mid-run faults (mid) and faults present from step 0 (s0), each against the setup's healthy runs; " +
      "delay in steps after onset; type@1 / fam@1 over detected runs; healthy actions: non-alert actions the policy gave healthy runs",
    renderTable(LOSO_HEADER, rows),
    "",
    "Missed faulty runs (no alarm, or a first alarm before onset: its step is given)",
  ];
  for (const r of result.setups)
    for (const mode of LOSO_MODES) {
      const misses = r[mode].misses;
      lines.push(`  ${r.setup} ${mode.replace("_", "-")}: ${misses.length || "none"}${misses.length ? " missed" : ""}`);
      for (const m of misses)
        lines.push(
          `    ${m.run} (${m.fault}, ${m.severity ?? "-"}, onset ${m.onset ?? "-"}${m.first_alarm === null ? "" : `, alarm at ${m.first_alarm}`})`,
        );
    }
  const problems = result.setups.flatMap((r) => [...r.zero_shot.problems, ...r.calibrated.problems]);
  if (problems.length) lines.push("", `ingest problems in ${problems.length} judgements:`, ...problems);
  return `${lines.join("\n")}\n`;
}
