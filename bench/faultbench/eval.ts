import { join } from "node:path";
import { type FingerprintSet, Monitor, readLabels, scanTelemetry } from "../../src/index.js";
import type { Labels, RunEntry, Split } from "./corpus.js";
import { type RunOutcome, type Scores, scoreOutcomes } from "./metrics.js";

export interface EvalOptions {
  /** The corpus directory (labels.json and the run files it names). */
  corpus: string;
  split: Split | "all";
  /** Fingerprint set or file (default: the shipped set). */
  fingerprints?: FingerprintSet | string;
  /** Judge against the set's healthy prior (the corpus's own setup; default true), or zero-shot (false). */
  prior?: boolean;
  progress?: (done: number, total: number, run: string) => void;
}

/** A run's outcome, with the signals that raised its first alarm. */
export interface EvaluatedRun extends RunOutcome {
  signals: string[];
}

export interface EvalResult {
  corpus: string;
  split: Split | "all";
  detector: { name: "monitor"; fingerprints: string; prior: boolean; source: Record<string, unknown> };
  scores: Scores;
  runs: EvaluatedRun[];
  /** Ingest problems (skipped lines, unreadable files), one summary per run that had any. */
  problems: string[];
}

export async function evaluateCorpus(options: EvalOptions): Promise<EvalResult> {
  // The library checks what it reads of each label (file, fault); the rest is what generate wrote.
  const labels = readLabels(options.corpus) as Labels["runs"];
  const entries = Object.entries(labels).filter(
    ([, entry]) => options.split === "all" || entry.split === options.split,
  );
  const monitor = new Monitor({
    fingerprints: options.fingerprints,
    prior: options.prior ?? true,
    policy: false,
    maxRuns: 1,
  });
  const runs: EvaluatedRun[] = [];
  const problems: string[] = [];
  try {
    for (const [run, entry] of entries) {
      const { outcome, problem } = await evaluateRun(monitor, options.corpus, run, entry);
      runs.push(outcome);
      if (problem) problems.push(problem);
      options.progress?.(runs.length, entries.length, run);
    }
  } finally {
    monitor.close();
  }
  return {
    corpus: options.corpus,
    split: options.split,
    detector: {
      name: "monitor",
      fingerprints:
        typeof options.fingerprints === "string" ? options.fingerprints : options.fingerprints ? "(given)" : "default",
      prior: options.prior ?? true,
      source: monitor.set.source,
    },
    scores: scoreOutcomes(runs),
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
  };
  return report.skipped > 0 ? { outcome, problem: `${run}: ${report.summary()}` } : { outcome };
}
