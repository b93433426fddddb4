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
  type Action,
  encodeJson,
  encodeRecord,
  Monitor,
  ServeSession,
  type StepData,
  type StepFeatures,
  StepGatherer,
  scan,
  type TelemetryRecord,
  type Verdict,
} from "../../src/index.js";
import { NOMINAL } from "./hparams.js";
import type { RunSpec, StepObserver } from "./trainer.js";

export type ObserverName = "monitor" | "sidecar";

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

/**
 * The same monitor reached the way a Python trainer reaches it: every record
 * written as a line of `rftfm serve`'s protocol (docs/serve.md) and read by the
 * server's session, the verdict read back from its reply line. Only the pipe
 * between two processes is left out (an observer answers synchronously).
 */
export function sidecarObserver(): StepObserver {
  const session = new ServeSession({ monitor: { prior: true }, defaultPolicy: { mode: "act" } });
  let configured = false;
  return (records: TelemetryRecord[]) => {
    const run = records[0]?.run;
    if (!configured && run !== undefined) {
      session.handleLine(encodeJson({ kind: "configure", run, mode: "act", reference: TRAINER_REFERENCE }));
      configured = true;
    }
    // Events and trajectory records first (held for the step), then the step record, which is answered.
    const ordered = [...records.filter((r) => r.kind !== "step"), ...records.filter((r) => r.kind === "step")];
    let actions: Action[] = [];
    for (const record of ordered) {
      const reply = session.handleLine(encodeRecord(record));
      if (reply?.kind === "verdict") actions = (JSON.parse(encodeJson(reply)) as Verdict).actions;
    }
    return actions;
  };
}

const OBSERVERS: Record<ObserverName, (spec: RunSpec) => StepObserver> = {
  monitor: () => monitorObserver(),
  sidecar: () => sidecarObserver(),
};

export function observerFor(name: ObserverName, spec: RunSpec): StepObserver {
  const make = OBSERVERS[name];
  if (!make) throw new Error(`unknown monitor ${name}: known are ${Object.keys(OBSERVERS).join(", ")}`);
  return make(spec);
}
