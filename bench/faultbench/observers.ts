/**
 * Monitors the benchmark can put in the training loop, by name (jobs cross a
 * process boundary, so they name their monitor rather than carry it).
 */
import { BaselineDetector, StepGatherer, scan, type Action, type TelemetryRecord } from "../../src/index.js";
import type { RunSpec, StepObserver } from "./trainer.js";

export type ObserverName = "baseline";

/** Steps after an action during which the placeholder policy does not act again. */
const BASELINE_COOLDOWN = 10;

/**
 * PLACEHOLDER until the diagnosis and remediation issue: the library's early
 * baseline detector with one generic reaction, since without a diagnosis it
 * cannot know which remedy fits. On an alarm: roll back to before the
 * out-of-line stretch that raised it (to the last checkpoint the trainer
 * reported at or before it) and halve the learning rate; then no action for
 * `BASELINE_COOLDOWN` steps. Each alarm is raised once by the detector, so the
 * policy never acts on the same alarm twice.
 */
function baselineMonitor(): StepObserver {
  const detector = new BaselineDetector();
  /** Steps of the checkpoints the trainer reported, oldest first. */
  const checkpoints: number[] = [];
  let quietUntil = 0;
  return (records: TelemetryRecord[]): Action[] => {
    // Events the trainer reported after the previous step (checkpoints, applied
    // actions) come first; the step's own records after them.
    for (const r of records) if (r.kind === "event" && r.name === "checkpoint") checkpoints.push(r.step);
    const gatherer = new StepGatherer();
    for (const record of records) if (record.kind !== "event") gatherer.add(record);
    const [step] = gatherer.finish();
    const verdict = detector.observe(scan([step])[0]);
    if (!verdict.anomalous || verdict.step < quietUntil) return [];
    quietUntil = verdict.step + BASELINE_COOLDOWN + 1;
    const before = verdict.step - detector.options.consecutive;
    const target = [...checkpoints].reverse().find((c) => c <= before) ?? 0;
    return [
      { kind: "rollback", to_step: target },
      { kind: "scale_lr", factor: 0.5 },
    ];
  };
}

const OBSERVERS: Record<ObserverName, (spec: RunSpec) => StepObserver> = {
  baseline: baselineMonitor,
};

export function observerFor(name: ObserverName, spec: RunSpec): StepObserver {
  const make = OBSERVERS[name];
  if (!make) throw new Error(`unknown monitor ${name}: known are ${Object.keys(OBSERVERS).join(", ")}`);
  return make(spec);
}
