/**
 * `rftfm demo`: the closed loop on one run, end to end.
 *
 * The built-in GRPO trainer trains a run of the corpus plan's test split (the
 * shipped fingerprints never saw it) with a fault injected, three times: the
 * matched healthy run (the reference), the faulty run left alone, and the
 * faulty run with the library's Monitor in the loop applying its actions. The
 * first two train in worker processes while the third trains here, so that
 * its verdicts can be shown as they come.
 */
import type { Action, StepData, StepFeatures, Verdict } from "../../src/index.js";
import { DEFAULT_CORPUS, planCorpus } from "./corpus.js";
import { FAULT_FAMILIES, type FaultId, type Severity } from "./faults.js";
import { monitorObserver } from "./observers.js";
import { runJobs } from "./pool.js";
import { RECOVERY_TOLERANCE } from "./remediate.js";
import { type RunResult, type RunSpec, runTraining } from "./trainer.js";

export interface DemoOptions {
  fault: FaultId;
  severity: Severity;
  /** Which test seed of the corpus plan (0 = the first). */
  seedIndex: number;
  workers?: number;
  /** Every verdict of the monitored run, as it comes, with the step's reward and correctness, and the step as scanned. */
  onStep?: (
    verdict: Verdict,
    step: { reward: number; correct: number; total: number },
    scanned: StepFeatures<StepData>,
  ) => void;
}

export interface DemoResult {
  spec: RunSpec;
  onset: number;
  reference: RunResult;
  unmonitored: RunResult;
  monitored: RunResult;
  firstAlarm: Verdict | null;
  /** The verdict whose diagnosis settled the first alarm (the last one of its episode window that carried a diagnosis). */
  diagnosis: Verdict | null;
  actions: { step: number; action: Action; reason?: string }[];
  recovered: boolean;
  unremediatedRecovered: boolean;
  tolerance: number;
}

/** The run of the plan with this fault and severity on the chosen test seed, and its matched healthy run. */
export function demoSpecs(options: Pick<DemoOptions, "fault" | "severity" | "seedIndex">): {
  faulty: RunSpec;
  healthy: RunSpec;
} {
  if (!(options.fault in FAULT_FAMILIES)) throw new Error(`unknown fault ${options.fault}`);
  const { specs, labels } = planCorpus(DEFAULT_CORPUS);
  const test = specs.filter((s) => labels.runs[s.id].split === "test");
  const faultyOfKind = test.filter((s) => s.fault?.fault === options.fault && s.fault.severity === options.severity);
  const faulty = faultyOfKind[options.seedIndex];
  if (!faulty)
    throw new Error(
      `no ${options.severity} ${options.fault} run on test seed #${options.seedIndex} (there are ${faultyOfKind.length})`,
    );
  const healthy = specs.find((s) => s.id === labels.runs[faulty.id].matched_healthy)!;
  return { faulty, healthy };
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { faulty, healthy } = demoSpecs(options);
  const others = new Map<string, RunResult>();
  const background = runJobs([{ spec: healthy }, { spec: faulty }], {
    workers: options.workers ?? 2,
    onDone: ({ id, result }) => others.set(id, result),
  });

  let firstAlarm: Verdict | null = null;
  let diagnosis: Verdict | null = null;
  const actions: DemoResult["actions"] = [];
  const observer = monitorObserver((verdict, step, scanned) => {
    if (verdict.anomalous && !firstAlarm) firstAlarm = verdict;
    if (firstAlarm && verdict.diagnosis.length && !diagnosis?.actions.length) diagnosis = verdict;
    const reasons = verdict.decisions?.map((d) => d.reason) ?? [];
    for (const action of verdict.actions)
      actions.push({ step: verdict.step, action, reason: reasons.join("; ") || undefined });
    const m = step.metrics ?? {};
    options.onStep?.(
      verdict,
      { reward: m.reward_mean ?? NaN, correct: m.correct_mean ?? NaN, total: faulty.steps },
      scanned,
    );
  });
  const monitoredSpec = { ...faulty, id: `${faulty.id}+monitored` };
  const monitored = runTraining(monitoredSpec, () => {}, observer);
  await background;
  const reference = others.get(healthy.id)!;
  const unmonitored = others.get(faulty.id)!;
  return {
    spec: faulty,
    onset: faulty.fault!.onset,
    reference,
    unmonitored,
    monitored,
    firstAlarm,
    diagnosis,
    actions,
    recovered: monitored.finalAccuracy >= reference.finalAccuracy - RECOVERY_TOLERANCE,
    unremediatedRecovered: unmonitored.finalAccuracy >= reference.finalAccuracy - RECOVERY_TOLERANCE,
    tolerance: RECOVERY_TOLERANCE,
  };
}
