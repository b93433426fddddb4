/**
 * `rftfm faultbench eval`: runs the library over the runs of a corpus split,
 * one run at a time, through its public API only (as any user would), and
 * scores what it said against the labels (metrics.ts).
 *
 * Until the library's monitor exists, what runs is its early baseline detector
 * (src/detect/baseline.ts): it alarms but does not diagnose, so every
 * diagnosis is empty and the diagnosis accuracies are 0 by construction.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BASELINE_DEFAULTS, BaselineDetector, scanTelemetry, type BaselineOptions } from "../../src/index.js";
import type { Labels, RunEntry, Split } from "./corpus.js";
import { scoreOutcomes, type RunOutcome, type Scores } from "./metrics.js";

export interface EvalOptions {
  /** The corpus directory (labels.json and the run files it names). */
  corpus: string;
  split: Split | "all";
  /** Detector settings other than the defaults (chosen on the train split only). */
  detector?: Partial<BaselineOptions>;
  progress?: (done: number, total: number, run: string) => void;
}

/** A run's outcome, with the signals that raised its first alarm. */
export interface EvaluatedRun extends RunOutcome {
  signals: string[];
}

export interface EvalResult {
  corpus: string;
  split: Split | "all";
  detector: { name: "baseline" } & BaselineOptions;
  scores: Scores;
  runs: EvaluatedRun[];
  /** Ingest problems (skipped lines, unreadable files), one summary per run that had any. */
  problems: string[];
}

function readLabels(corpus: string): Labels {
  return JSON.parse(readFileSync(join(corpus, "labels.json"), "utf8")) as Labels;
}

export async function evaluateCorpus(options: EvalOptions): Promise<EvalResult> {
  const labels = readLabels(options.corpus);
  const settings = { ...BASELINE_DEFAULTS, ...options.detector };
  const entries = Object.entries(labels.runs).filter(([, entry]) => options.split === "all" || entry.split === options.split);
  const runs: EvaluatedRun[] = [];
  const problems: string[] = [];
  for (const [run, entry] of entries) {
    const { outcome, problem } = await evaluateRun(options.corpus, run, entry, settings);
    runs.push(outcome);
    if (problem) problems.push(problem);
    options.progress?.(runs.length, entries.length, run);
  }
  return {
    corpus: options.corpus,
    split: options.split,
    detector: { name: "baseline", ...settings },
    scores: scoreOutcomes(runs),
    runs,
    problems,
  };
}

/** Streams one run's telemetry through the detector and notes its first alarm. */
async function evaluateRun(
  corpus: string,
  run: string,
  entry: RunEntry,
  settings: BaselineOptions,
): Promise<{ outcome: EvaluatedRun; problem?: string }> {
  const detector = new BaselineDetector(settings);
  const { features, report } = scanTelemetry([join(corpus, entry.file)]);
  let firstAlarm: number | null = null;
  let signals: string[] = [];
  for await (const step of features) {
    const verdict = detector.observe(step);
    if (verdict.anomalous && firstAlarm === null) {
      firstAlarm = verdict.step;
      signals = verdict.anomalies.map((a) => a.signal);
    }
  }
  const outcome: EvaluatedRun = {
    run,
    fault: entry.fault,
    family: entry.family,
    severity: entry.severity,
    onset: entry.onset,
    firstAlarm,
    // The baseline detector has no fault fingerprints: it never diagnoses.
    diagnosis: [],
    signals,
  };
  return report.skipped > 0 ? { outcome, problem: `${run}: ${report.summary()}` } : { outcome };
}
