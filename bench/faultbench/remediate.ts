/**
 * `rftfm faultbench remediate`: does the monitor in the loop save faulty runs,
 * and does it leave healthy runs alone?
 *
 * On the test seeds of the corpus plan, every remediable faulty configuration
 * (faults.ts REMEDIABLE_FAULTS) is trained twice, without and with the monitor
 * applying its actions; every healthy configuration of those seeds is trained
 * twice as well. A faulty run is **recovered** when its final held-out accuracy
 * is at least the matched healthy run's (same seed and settings, no fault, no
 * monitor) minus 0.05: within 5 percentage points, absolute. A healthy run
 * under the monitor is **kept** when it ends within the same 5 points of
 * itself without the monitor.
 */
import { type CorpusOptions, planCorpus } from "./corpus.js";
import { type FaultId, REMEDIABLE_FAULTS, SEVERITIES, type Severity } from "./faults.js";
import type { TrainJob } from "./jobs.js";
import type { ObserverName } from "./observers.js";
import { runJobs } from "./pool.js";
import type { RunResult, RunSpec } from "./trainer.js";

/** Accuracy points a run may end below its reference and still count as recovered. */
export const RECOVERY_TOLERANCE = 0.05;

export interface RemediationOptions {
  corpus: CorpusOptions;
  observer: ObserverName;
  /** One test seed, severe faults only. */
  quick: boolean;
  /** Only these faults (default: every remediable fault). */
  faults?: readonly FaultId[];
  workers?: number;
  progress?: (done: number, total: number, run: string) => void;
}

export interface RemediatedRun {
  run: string;
  fault: FaultId;
  severity: Severity;
  matched_healthy: string;
  /** Final accuracy of the matched healthy run, the recovery reference. */
  reference_accuracy: number;
  unmonitored_accuracy: number;
  monitored_accuracy: number;
  recovered: boolean;
  unremediated_recovered: boolean;
  halted: string | null;
  actions: RunResult["actions"];
}

export interface HealthyRun {
  run: string;
  unmonitored_accuracy: number;
  monitored_accuracy: number;
  kept: boolean;
  actions: RunResult["actions"];
}

export interface RemediationReport {
  observer: ObserverName;
  quick: boolean;
  seeds: number[];
  severities: Severity[];
  tolerance: number;
  /** Share of the faulty runs recovered with the monitor in the loop. */
  recovered_share: number;
  /** Share of the same runs recovered without it. */
  unremediated_recovered_share: number;
  /** Share of the healthy runs on which the monitor took at least one action. */
  healthy_action_rate: number;
  /** Share of the healthy runs that ended within the tolerance of themselves without the monitor. */
  healthy_kept_share: number;
  per_fault: { fault: FaultId; runs: number; recovered: number; unremediated_recovered: number }[];
  runs: RemediatedRun[];
  healthy: HealthyRun[];
}

/** The suffix that tells a monitored job's run id from the unmonitored one. */
const MONITORED = "+monitored";

/**
 * The runs the experiment trains: the remediable faulty configurations of the
 * test seeds and every healthy configuration of those seeds. A corpus seed is
 * told by its matched healthy run (healthy variants train on seeds of their own).
 */
export function planRemediation(options: Pick<RemediationOptions, "corpus" | "quick" | "faults">) {
  const { specs, labels } = planCorpus(options.corpus);
  const testSeeds = [
    ...new Set(specs.filter((s) => labels.runs[s.id].split === "test").map((s) => labels.runs[s.id].matched_healthy)),
  ];
  const chosen = options.quick ? testSeeds.slice(0, 1) : testSeeds;
  const severities: Severity[] = options.quick ? ["severe"] : [...SEVERITIES];
  const faults = new Set(options.faults ?? REMEDIABLE_FAULTS);
  const ofSeeds = specs.filter((s) => chosen.includes(labels.runs[s.id].matched_healthy));
  const faulty = ofSeeds.filter(
    (s) =>
      s.fault &&
      REMEDIABLE_FAULTS.has(s.fault.fault) &&
      faults.has(s.fault.fault) &&
      severities.includes(s.fault.severity),
  );
  const healthy = ofSeeds.filter((s) => s.fault === null);
  return { labels, seeds: chosen.map((matched) => labels.runs[matched].corpus_seed), severities, faulty, healthy };
}

export async function runRemediation(options: RemediationOptions): Promise<RemediationReport> {
  const { labels, seeds, severities, faulty, healthy } = planRemediation(options);
  const monitored = (spec: RunSpec): TrainJob => ({
    spec: { ...spec, id: spec.id + MONITORED },
    observer: options.observer,
  });
  const jobs: TrainJob[] = [...faulty, ...healthy].flatMap((spec) => [{ spec }, monitored(spec)]);
  const results = new Map<string, RunResult>();
  await runJobs(jobs, {
    workers: options.workers,
    onDone: ({ id, result }, done, total) => {
      results.set(id, result);
      options.progress?.(done, total, id);
    },
  });
  const without = (id: string) => results.get(id)!;
  const withMonitor = (id: string) => results.get(id + MONITORED)!;

  const runs: RemediatedRun[] = faulty.map((spec) => {
    const matched = labels.runs[spec.id].matched_healthy;
    const reference = without(matched).finalAccuracy;
    const unmonitored = without(spec.id).finalAccuracy;
    const remediated = withMonitor(spec.id);
    return {
      run: spec.id,
      fault: spec.fault!.fault,
      severity: spec.fault!.severity,
      matched_healthy: matched,
      reference_accuracy: reference,
      unmonitored_accuracy: unmonitored,
      monitored_accuracy: remediated.finalAccuracy,
      recovered: remediated.finalAccuracy >= reference - RECOVERY_TOLERANCE,
      unremediated_recovered: unmonitored >= reference - RECOVERY_TOLERANCE,
      halted: remediated.halted,
      actions: remediated.actions,
    };
  });
  const healthyRuns: HealthyRun[] = healthy.map((spec) => {
    const unmonitored = without(spec.id).finalAccuracy;
    const remediated = withMonitor(spec.id);
    return {
      run: spec.id,
      unmonitored_accuracy: unmonitored,
      monitored_accuracy: remediated.finalAccuracy,
      kept: remediated.finalAccuracy >= unmonitored - RECOVERY_TOLERANCE,
      actions: remediated.actions,
    };
  });

  const share = <T>(items: T[], hit: (item: T) => boolean) =>
    items.length ? items.filter(hit).length / items.length : 0;
  const perFault = [...new Set(runs.map((r) => r.fault))].map((fault) => {
    const of = runs.filter((r) => r.fault === fault);
    return {
      fault,
      runs: of.length,
      recovered: of.filter((r) => r.recovered).length,
      unremediated_recovered: of.filter((r) => r.unremediated_recovered).length,
    };
  });
  return {
    observer: options.observer,
    quick: options.quick,
    seeds,
    severities,
    tolerance: RECOVERY_TOLERANCE,
    recovered_share: share(runs, (r) => r.recovered),
    unremediated_recovered_share: share(runs, (r) => r.unremediated_recovered),
    healthy_action_rate: share(healthyRuns, (r) => r.actions.length > 0),
    healthy_kept_share: share(healthyRuns, (r) => r.kept),
    per_fault: perFault,
    runs,
    healthy: healthyRuns,
  };
}
