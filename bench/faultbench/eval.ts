import { join } from "node:path";
import { type Calibration, type FingerprintSet, Monitor, readLabels, scanTelemetry } from "../../src/index.js";
import type { Labels, RunEntry, Split } from "./corpus.js";
import { type RunOutcome, type Scores, scoreOutcomes } from "./metrics.js";

export interface EvalOptions {
  /** The corpus directory (labels.json and the run files it names). */
  corpus: string;
  split: Split | "all";
  /**
   * Only runs of these setups (labels.json `setup`; a run without one belongs
   * to no listed setup). Runs left out are never read, so a held-out setup can
   * be judged alone, or left out.
   */
  setups?: readonly string[];
  /** Fingerprint set or file (default: the shipped set). */
  fingerprints?: FingerprintSet | string;
  /** Judge against the set's healthy prior (the corpus's own setup; default true), or zero-shot (false). */
  prior?: boolean;
  /**
   * A calibration of the judged setup (`calibrate`): its prior replaces the
   * set's and is on (leave-one-setup-out's calibrated mode).
   */
  calibration?: Calibration | string;
  /** Run ids not judged and never read (the runs a calibration was learnt from). */
  exclude?: readonly string[];
  /**
   * Run the remediation policy (default options) and count each run's
   * non-alert actions and recommendations (`EvaluatedRun.actions`); off by
   * default (detection and diagnosis only, as `faultbench eval` reports).
   */
  policy?: boolean;
  progress?: (done: number, total: number, run: string) => void;
}

/** A run's outcome, with the signals that raised its first alarm. */
export interface EvaluatedRun extends RunOutcome {
  signals: string[];
  /** The run's setup, when its label names one. */
  setup?: string;
  /** Actions and recommendations other than alerts the policy gave the run (only with `policy`). */
  actions?: number;
}

export interface EvalResult {
  corpus: string;
  split: Split | "all";
  /** The setups asked for (absent: every run of the split). */
  setups?: string[];
  detector: { name: "monitor"; fingerprints: string; prior: boolean; source: Record<string, unknown> };
  scores: Scores;
  /** The same scores per setup, when the evaluated runs belong to more than one. */
  by_setup?: Record<string, Scores>;
  runs: EvaluatedRun[];
  /** Ingest problems (skipped lines, unreadable files), one summary per run that had any. */
  problems: string[];
}

export async function evaluateCorpus(options: EvalOptions): Promise<EvalResult> {
  // The library checks what it reads of each label (file, fault); the rest is what generate wrote.
  const labels = readLabels(options.corpus) as Labels["runs"];
  const setups = options.setups ? new Set(options.setups) : null;
  const excluded = new Set(options.exclude ?? []);
  const entries = Object.entries(labels).filter(
    ([run, entry]) =>
      !excluded.has(run) &&
      (options.split === "all" || entry.split === options.split) &&
      (setups === null || (typeof entry.setup === "string" && setups.has(entry.setup))),
  );
  if (setups && entries.length === 0) {
    const known = [...new Set(Object.values(labels).map((e) => e.setup ?? "(none)"))].join(", ");
    throw new Error(
      `${options.corpus}: no runs of split ${options.split} in setups ${[...setups].join(", ")} (the corpus has setups: ${known})`,
    );
  }
  const monitor = new Monitor({
    fingerprints: options.fingerprints,
    prior: options.prior ?? true,
    ...(options.calibration !== undefined ? { calibration: options.calibration } : {}),
    policy: options.policy ? {} : false,
    maxRuns: 1,
  });
  const runs: EvaluatedRun[] = [];
  const problems: string[] = [];
  try {
    for (const [run, entry] of entries) {
      const { outcome, problem } = await evaluateRun(monitor, options.corpus, run, entry, options.policy === true);
      runs.push(outcome);
      if (problem) problems.push(problem);
      options.progress?.(runs.length, entries.length, run);
    }
  } finally {
    monitor.close();
  }
  const bySetup = new Map<string, EvaluatedRun[]>();
  for (const run of runs) if (run.setup !== undefined) bySetup.set(run.setup, [...(bySetup.get(run.setup) ?? []), run]);
  return {
    corpus: options.corpus,
    split: options.split,
    ...(setups ? { setups: [...setups] } : {}),
    detector: {
      name: "monitor",
      fingerprints:
        typeof options.fingerprints === "string" ? options.fingerprints : options.fingerprints ? "(given)" : "default",
      prior: options.prior ?? true,
      source: monitor.set.source,
    },
    scores: scoreOutcomes(runs),
    ...(bySetup.size > 1
      ? { by_setup: Object.fromEntries([...bySetup].map(([setup, rs]) => [setup, scoreOutcomes(rs)])) }
      : {}),
    runs,
    problems,
  };
}

/** Streams one run's telemetry through the monitor and reads its run summary. */
async function evaluateRun(
  monitor: Monitor,
  corpus: string,
  run: string,
  entry: RunEntry,
  countActions: boolean,
): Promise<{ outcome: EvaluatedRun; problem?: string }> {
  const { features, report } = scanTelemetry([join(corpus, entry.file)]);
  let signals: string[] = [];
  let id: string | undefined;
  for await (const step of features) {
    id ??= step.data.run;
    const verdict = monitor.observeScanned(step, step.data.events);
    if (verdict.anomalous && signals.length === 0) signals = verdict.anomalies.map((a) => a.signal);
  }
  const summary = id === undefined ? undefined : monitor.summary(id);
  if (id !== undefined) monitor.forget(id);
  const outcome: EvaluatedRun = {
    run,
    fault: entry.fault,
    family: entry.family,
    severity: entry.severity,
    onset: entry.onset,
    firstAlarm: summary?.first_alarm_step ?? null,
    diagnosis: (summary?.diagnosis ?? []).map(({ fault, family, confidence }) => ({ fault, family, confidence })),
    signals,
    ...(typeof entry.setup === "string" ? { setup: entry.setup } : {}),
    ...(countActions ? { actions: (summary?.actions ?? []).filter((a) => a.kind !== "alert").length } : {}),
  };
  return report.skipped > 0 ? { outcome, problem: `${run}: ${report.summary()}` } : { outcome };
}
