/**
 * Monitors the benchmark can put in the training loop, by name (jobs cross a
 * process boundary, so they name their monitor rather than carry it).
 *
 * `monitor` is the library's Monitor with the shipped fingerprints and their
 * healthy prior (learnt on this very trainer) and its remediation policy acting: the
 * trainer (trainer.ts, a `TrainerAdapter`) applies the returned actions and
 * reports them, and the checkpoints it saves, as `event` records that the
 * monitor reads with the next step.
 */
import {
  Monitor,
  type StepData,
  type StepFeatures,
  StepGatherer,
  scan,
  type TelemetryRecord,
  type Verdict,
} from "../../src/index.js";
import { NOMINAL } from "./hparams.js";
import type { RunSpec, StepObserver } from "./trainer.js";

export type ObserverName = "monitor";

/**
 * The trainer's known-good settings, as the policy's `set_hparam` remedies
 * name them: what a practitioner restores a mis-set value to (the trainer's
 * documented defaults, not the run's own, possibly faulty, configuration).
 */
export const TRAINER_REFERENCE: Readonly<Record<string, number>> = {
  kl_coef: NOMINAL.klCoef,
  temperature: NOMINAL.temperature,
  max_response_length: NOMINAL.maxResponseLength,
  grad_clip: NOMINAL.gradClip,
  lr: NOMINAL.lr,
  clip_eps: NOMINAL.clipEps,
};

/**
 * The library's monitor in the loop; `onVerdict` sees every verdict with its
 * step and the step as scanned (the demo prints them and writes its report).
 */
export function monitorObserver(
  onVerdict?: (verdict: Verdict, step: StepData, scanned: StepFeatures<StepData>) => void,
): StepObserver {
  const monitor = new Monitor({ prior: true, policy: { mode: "act", reference: TRAINER_REFERENCE } });
  return (records: TelemetryRecord[]) => {
    // Events the trainer reported after the previous step (checkpoints, applied
    // actions) come first; the step's own records after them.
    const events = records.flatMap((r) => (r.kind === "event" ? [r] : []));
    const gatherer = new StepGatherer();
    for (const record of records) if (record.kind !== "event") gatherer.add(record);
    const [step] = gatherer.finish();
    const scanned = scan([step])[0];
    const verdict = monitor.observeScanned(scanned, events);
    onVerdict?.(verdict, step, scanned);
    return verdict.actions;
  };
}

const OBSERVERS: Record<ObserverName, (spec: RunSpec) => StepObserver> = {
  monitor: () => monitorObserver(),
};

export function observerFor(name: ObserverName, spec: RunSpec): StepObserver {
  const make = OBSERVERS[name];
  if (!make) throw new Error(`unknown monitor ${name}: known are ${Object.keys(OBSERVERS).join(", ")}`);
  return make(spec);
}
