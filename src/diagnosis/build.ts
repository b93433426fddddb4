/**
 * Building a DiagnosisContext from plain arrays: for tests, for replaying a
 * logged episode, and for users who run the rules outside the monitor.
 */
import type { Anomaly } from "../verdict/types.js";
import type { DiagnosisContext, FingerprintMatch, SignalTrace } from "./context.js";

export interface TraceInput {
  /** Steps of this signal; the context's `steps` when absent. */
  steps?: readonly number[];
  values: readonly number[];
  /** Deviation from healthy per step; all NaN (unknown) when absent. */
  z?: readonly number[];
  /** Healthy value at the alarm step; NaN when absent. */
  reference?: number;
}

export interface ContextInput {
  run?: string;
  /** Default steps of the traces: 0, 1, ... when absent. */
  steps?: readonly number[];
  /** The judged step; the last step when absent. */
  step?: number;
  alarmStep: number;
  signals: Readonly<Record<string, TraceInput>>;
  anomalies?: readonly Anomaly[];
  fingerprints?: readonly FingerprintMatch[];
}

export function makeContext(input: ContextInput): DiagnosisContext {
  const traces = new Map<string, SignalTrace>();
  let last = -Infinity;
  for (const [name, t] of Object.entries(input.signals)) {
    const steps = t.steps ?? input.steps ?? t.values.map((_, i) => i);
    if (steps.length !== t.values.length || (t.z && t.z.length !== t.values.length)) {
      throw new Error(
        `makeContext: signal ${name} has ${steps.length} steps, ${t.values.length} values and ${t.z?.length ?? "no"} z`,
      );
    }
    traces.set(name, {
      name,
      steps,
      values: t.values,
      z: t.z ?? t.values.map(() => NaN),
      reference: t.reference ?? NaN,
    });
    if (steps.length) last = Math.max(last, steps[steps.length - 1]);
  }
  return {
    run: input.run ?? "run",
    step: input.step ?? (Number.isFinite(last) ? last : input.alarmStep),
    alarmStep: input.alarmStep,
    signal: (name) => traces.get(name),
    anomalies: input.anomalies ?? [],
    fingerprints: input.fingerprints ?? [],
  };
}
