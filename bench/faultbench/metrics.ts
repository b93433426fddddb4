/**
 * The fault benchmark's scores: pure arithmetic over per-run outcomes (what a
 * detector said about each run of a corpus split). docs/faultbench.md states
 * the same rules.
 *
 * - **Detected**: a faulty run whose first alarm is at or after its fault's
 *   onset step (a true positive). A first alarm *before* the onset is a false
 *   alarm (a false positive: the fault was not there yet) and the fault counts
 *   as missed (a false negative). A faulty run with no alarm is missed.
 * - **False alarm on a healthy run**: any alarm (a false positive).
 * - **Groups**: every fault type, every family, every severity, and all faulty
 *   runs together. A group's detection precision, recall and F1 are computed on
 *   the set {the group's faulty runs} ∪ {every healthy run of the split}:
 *   precision = TP / (TP + FP), recall = TP / (faulty runs of the group),
 *   F1 = 2PR / (P + R). A ratio with nothing to count (0/0) is 0, as is F1 when
 *   P + R = 0.
 * - **False-alarm rate**: healthy runs with an alarm / healthy runs (null
 *   without healthy runs). `early` counts the group's runs alarmed before onset.
 * - **Delay**: first alarm - onset, in steps, over the group's detected runs:
 *   median and 90th percentile, interpolated linearly between order statistics
 *   (numpy's default); null when nothing was detected.
 * - **Diagnosis**: the ranked diagnosis of the run summary (the first alarm's,
 *   once it settled over the alarm's first steps). Type top-k
 *   (k = 1, 3): the run's fault is among its first k entries; family top-k: the
 *   run's family is among the families of those k entries. Reported over every
 *   faulty run of the group (a missed run, also one alarmed before onset, counts
 *   as wrong) and over its detected runs only (null when none was detected).
 * - **Flag-everything baseline**: every run of the same set is flagged faulty,
 *   at its onset. TP = faulty runs, FP = healthy runs: precision =
 *   faulty / (faulty + healthy), recall = 1, F1 = 2P / (P + 1).
 * - **Macro F1**: the mean of the families' F1 over the families with runs
 *   (the aggregate the RFT-FaultBench paper reports over its five), for the
 *   detector and for the baseline.
 */

import { quantileOfSorted } from "../../src/index.js";
import { FAULT_FAMILIES, FAULT_IDS, type Family, HEALTHY, type RunLabel, SEVERITIES, type Severity } from "./faults.js";

/** One ranked candidate of a diagnosis (docs/spec/verdicts.md). */
export interface DiagnosisEntry {
  fault: string;
  family: string;
  confidence: number;
}

/** What the detector said about one run, beside the run's label. */
export interface RunOutcome {
  run: string;
  fault: RunLabel;
  family: Family | typeof HEALTHY;
  severity: Severity | null;
  /** First step at which the fault acts; null for a healthy run. */
  onset: number | null;
  /** Step of the detector's first alarm; null when it never alarmed. */
  firstAlarm: number | null;
  /** The ranked diagnosis of the first alarm, as the run summary reports it (empty when none). */
  diagnosis: DiagnosisEntry[];
}

export interface DetectionScores {
  /** Faulty runs of the group alarmed at or after onset. */
  tp: number;
  /** Healthy runs with an alarm plus the group's runs alarmed before onset. */
  fp: number;
  /** Faulty runs of the group not alarmed at or after onset. */
  fn: number;
  /** The group's faulty runs whose first alarm came before onset (counted in fp and fn). */
  early: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface DiagnosisAccuracy {
  type_top1: number;
  type_top3: number;
  family_top1: number;
  family_top3: number;
}

export interface GroupScores {
  by: "all" | "family" | "fault" | "severity" | "onset";
  /** The family, fault id or severity; "all" for every faulty run. */
  group: string;
  faulty: number;
  healthy: number;
  detection: DetectionScores;
  delay: { median: number | null; p90: number | null };
  /** Over every faulty run of the group. */
  diagnosis: DiagnosisAccuracy;
  /** Over the group's detected runs; null when none was detected. */
  diagnosis_detected: DiagnosisAccuracy | null;
  flag_everything: { precision: number; recall: number; f1: number };
}

export interface Scores {
  runs: number;
  faulty: number;
  healthy: number;
  /** Healthy runs with an alarm, over healthy runs; null without healthy runs. */
  false_alarm_rate: number | null;
  /** Mean of the detection F1 of the families with runs, for the detector and for the flag-everything baseline. */
  macro_f1: { detector: number; flag_everything: number };
  groups: GroupScores[];
}

const ratio = (num: number, den: number) => (den === 0 ? 0 : num / den);
const f1 = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/** The q-quantile of `values` as the library defines it (linear interpolation, numpy's default); null when empty. */
export function quantile(values: readonly number[], q: number): number | null {
  return values.length === 0
    ? null
    : quantileOfSorted(
        [...values].sort((a, b) => a - b),
        q,
      );
}

/** Whether a faulty run's first alarm came at or after its onset. */
function isDetected(outcome: RunOutcome): boolean {
  return outcome.onset !== null && outcome.firstAlarm !== null && outcome.firstAlarm >= outcome.onset;
}

function diagnosisAccuracy(runs: readonly RunOutcome[]): DiagnosisAccuracy {
  const share = (hit: (o: RunOutcome) => boolean) =>
    ratio(runs.filter((o) => isDetected(o) && hit(o)).length, runs.length);
  const types = (o: RunOutcome, k: number) => o.diagnosis.slice(0, k).map((d) => d.fault);
  const families = (o: RunOutcome, k: number) => o.diagnosis.slice(0, k).map((d) => d.family);
  return {
    type_top1: share((o) => types(o, 1).includes(o.fault)),
    type_top3: share((o) => types(o, 3).includes(o.fault)),
    family_top1: share((o) => families(o, 1).includes(o.family)),
    family_top3: share((o) => families(o, 3).includes(o.family)),
  };
}

/** Scores one group of faulty runs against the split's healthy runs. */
function scoreGroup(
  by: GroupScores["by"],
  group: string,
  faulty: readonly RunOutcome[],
  healthy: readonly RunOutcome[],
): GroupScores {
  const detected = faulty.filter(isDetected);
  const early = faulty.filter((o) => o.firstAlarm !== null && !isDetected(o)).length;
  const healthyAlarms = healthy.filter((o) => o.firstAlarm !== null).length;
  const tp = detected.length;
  const fp = healthyAlarms + early;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, faulty.length);
  const delays = detected.map((o) => o.firstAlarm! - o.onset!);
  const baselinePrecision = ratio(faulty.length, faulty.length + healthy.length);
  return {
    by,
    group,
    faulty: faulty.length,
    healthy: healthy.length,
    detection: { tp, fp, fn: faulty.length - tp, early, precision, recall, f1: f1(precision, recall) },
    delay: { median: quantile(delays, 0.5), p90: quantile(delays, 0.9) },
    diagnosis: diagnosisAccuracy(faulty),
    diagnosis_detected: detected.length ? diagnosisAccuracy(detected) : null,
    flag_everything: {
      precision: baselinePrecision,
      recall: faulty.length ? 1 : 0,
      f1: f1(baselinePrecision, faulty.length ? 1 : 0),
    },
  };
}

/** Every score of a split: all faulty runs, then per family, per fault type and per severity (groups with runs only). */
export function scoreOutcomes(outcomes: readonly RunOutcome[]): Scores {
  const healthy = outcomes.filter((o) => o.fault === HEALTHY);
  const faulty = outcomes.filter((o) => o.fault !== HEALTHY);
  const groups: GroupScores[] = [scoreGroup("all", "all", faulty, healthy)];
  const add = (by: GroupScores["by"], group: string, members: RunOutcome[]) => {
    if (members.length) groups.push(scoreGroup(by, group, members, healthy));
  };
  const families = [...new Set(Object.values(FAULT_FAMILIES))];
  for (const family of families)
    add(
      "family",
      family,
      faulty.filter((o) => o.family === family),
    );
  for (const fault of FAULT_IDS)
    add(
      "fault",
      fault,
      faulty.filter((o) => o.fault === fault),
    );
  for (const severity of SEVERITIES)
    add(
      "severity",
      severity,
      faulty.filter((o) => o.severity === severity),
    );
  // Mid-run faults (a run's own history can show them) apart from those present from step 0 (which need a
  // reference of the same setup, or an invariant), per severity: the zero-shot figures are read here.
  for (const [when, members] of [
    ["mid-run", faulty.filter((o) => (o.onset ?? 0) > 0)],
    ["from step 0", faulty.filter((o) => (o.onset ?? 0) === 0)],
  ] as const)
    for (const severity of SEVERITIES)
      add(
        "onset",
        `${when} ${severity}`,
        members.filter((o) => o.severity === severity),
      );
  const familyGroups = groups.filter((g) => g.by === "family");
  const mean = (xs: number[]) =>
    ratio(
      xs.reduce((a, b) => a + b, 0),
      xs.length,
    );
  return {
    runs: outcomes.length,
    faulty: faulty.length,
    healthy: healthy.length,
    false_alarm_rate: healthy.length
      ? ratio(healthy.filter((o) => o.firstAlarm !== null).length, healthy.length)
      : null,
    macro_f1: {
      detector: mean(familyGroups.map((g) => g.detection.f1)),
      flag_everything: mean(familyGroups.map((g) => g.flag_everything.f1)),
    },
    groups,
  };
}
