/**
 * What a trainer hands the monitor each step (docs/spec/telemetry.md gives the
 * names and meaning of the metrics and trajectory columns).
 */
import type { EventRecord, TensorLike } from "../telemetry/records.js";

/** A step as a trainer hands it to the monitor. */
export interface StepInput {
  run: string;
  /** A non-negative integer (telemetry.md); anything else is refused with an error in the verdict. */
  step: number;
  /** Step metrics (telemetry.md names). */
  metrics?: Readonly<Record<string, number>>;
  /** The step's trajectory tensor: `{ rows, columns: Map }` or a plain object of equal-length arrays (rules: docs/monitor.md). */
  trajectories?: TensorLike | Readonly<Record<string, ArrayLike<number>>>;
  /** Events since the previous step (checkpoints saved, actions applied). */
  events?: readonly Pick<EventRecord, "name" | "step">[];
}
