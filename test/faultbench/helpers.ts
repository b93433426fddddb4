import { CONFIGURATION_FAULTS, type FaultId, type Severity } from "../../bench/faultbench/faults.js";
import { NOMINAL } from "../../bench/faultbench/hparams.js";
import { type RunSpec, Trainer } from "../../bench/faultbench/trainer.js";
import type { TelemetryRecord } from "../../src/index.js";

/** One trained step as the telemetry tells it. */
export interface LoggedStep {
  metrics: Record<string, number>;
  columns: Record<string, number[]>;
}

/** Odd, so two-sided faults go up: temperature too high, batches too easy. */
export const SEED = 3;

/** Trains a short run on the nominal settings and returns the trainer and what each step logged. */
export function trainShort(
  fault: FaultId | null,
  options: { severity?: Severity; steps?: number; onset?: number } = {},
) {
  const { severity = "severe", steps = 7, onset = 3 } = options;
  const spec: RunSpec = {
    id: fault ?? "healthy",
    seed: SEED,
    steps,
    hparams: { ...NOMINAL },
    fault: fault ? { fault, severity, onset: CONFIGURATION_FAULTS.has(fault) ? 0 : onset } : null,
  };
  const trainer = new Trainer(spec);
  const logged: LoggedStep[] = [];
  for (let i = 0; i < steps; i++) logged.push(logOf(trainer.trainStep()));
  return { trainer, steps: logged };
}

function logOf(records: TelemetryRecord[]): LoggedStep {
  const step = records.find((r) => r.kind === "step");
  const tensor = records.find((r) => r.kind === "trajectories");
  if (step?.kind !== "step" || tensor?.kind !== "trajectories")
    throw new Error("a step logs a step record and a trajectories record");
  return { metrics: step.metrics, columns: tensor.columns };
}

export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
