/**
 * Monitors the benchmark can put in the training loop, by name (jobs cross a
 * process boundary, so they name their monitor rather than carry it).
 */
import type { RunSpec, StepObserver } from "./trainer.js";

export type ObserverName = string;

const OBSERVERS: Record<ObserverName, (spec: RunSpec) => StepObserver> = {};

export function observerFor(name: ObserverName, spec: RunSpec): StepObserver {
  const make = OBSERVERS[name];
  if (!make) throw new Error(`unknown monitor ${name}: known are ${Object.keys(OBSERVERS).join(", ") || "none"}`);
  return make(spec);
}
