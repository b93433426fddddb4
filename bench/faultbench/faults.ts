/**
 * The fault catalogue of the benchmark: the 16 ids of the fault taxonomy
 * (docs/spec/faults.md), their families, and what each severity means in
 * this trainer. How a fault acts inside the pipeline is in `inject.ts`.
 */
import type { FaultId } from "../../src/index.js";

// The ids, families and the remediable set are the library's (src/verdict/faults.ts).
export { FAULT_FAMILIES, FAULT_IDS, type Family, type FaultId, REMEDIABLE_FAULTS } from "../../src/index.js";

export const SEVERITIES = ["subtle", "moderate", "severe"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The label of a run with no injected fault. */
export const HEALTHY = "healthy";
export type RunLabel = FaultId | typeof HEALTHY;

/**
 * Faults that are a misconfiguration or a code bug present from the first
 * step (onset 0); every other fault appears mid-run.
 */
export const CONFIGURATION_FAULTS: ReadonlySet<FaultId> = new Set<FaultId>([
  "temperature_misconfigured",
  "length_truncation",
  "lr_too_high",
  "kl_penalty_off",
  "group_misindexing",
  "advantage_misnormalization",
]);
