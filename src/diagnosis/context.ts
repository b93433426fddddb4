/**
 * What a diagnosis rule sees: the monitor's view of one alarm episode at one
 * step. The monitor builds it (src/monitor); tests and users can build one
 * from plain arrays with `makeContext` (build.ts).
 *
 * Rules read signals by name and must cope with any of them being absent: a
 * run that logs only step metrics has no trajectory features, and a trainer
 * that logs no `lr` has none either.
 */

import type { Family, FaultId } from "../verdict/faults.js";
import type { Anomaly } from "../verdict/types.js";

/** One signal over the current alarm episode and a few steps before it. */
export interface SignalTrace {
  readonly name: string;
  /** Ascending training steps. */
  readonly steps: readonly number[];
  /** Raw values (NaN/Infinity possible: a non-finite metric is data). */
  readonly values: readonly number[];
  /**
   * The monitor's standardized deviation from healthy at each step (signed;
   * NaN when unknown, +Infinity for a non-finite value).
   */
  readonly z: readonly number[];
  /** The healthy value at the alarm step (NaN when unknown). */
  readonly reference: number;
}

/** A fault fingerprint's match with the episode's deviation vector. Ranked, best first; confidence sums to 1 over all fingerprints. */
export interface FingerprintMatch {
  fault: FaultId;
  family: Family;
  similarity: number;
  confidence: number;
}

export interface DiagnosisContext {
  readonly run: string;
  /** The step being judged. */
  readonly step: number;
  /** First anomalous step of this episode. */
  readonly alarmStep: number;
  /** The signal's trace; undefined when the run does not log it. */
  signal(name: string): SignalTrace | undefined;
  /** This step's anomalies (src/verdict/types.ts). */
  readonly anomalies: readonly Anomaly[];
  /** Empty when no fingerprint set is loaded. */
  readonly fingerprints: readonly FingerprintMatch[];
}
