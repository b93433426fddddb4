/**
 * The names of the signals a verdict speaks of (an anomaly's `signal`, the
 * signals a diagnosis names), typed against the generated layout: a step
 * metric of the telemetry contract, a feature the scanner computes (a step
 * feature, or `<canonical column>.<statistic>`), or `nonfinite`. A list of
 * signals written against this type cannot name one that does not exist.
 */
import type { CANONICAL_COLUMNS, COLUMN_STATS, STEP_FEATURES } from "../backend/generated/layout.js";
import type { CanonicalMetric } from "../telemetry/records.js";

/** A trajectory-tensor feature of the scanner (docs/kernels.md). */
export type FeatureName =
  | (typeof STEP_FEATURES)[number]
  | `${(typeof CANONICAL_COLUMNS)[number]}.${(typeof COLUMN_STATS)[number]}`;

/** A signal the monitor can watch: a canonical step metric, a scanner feature, or the count of non-finite cells. */
export type SignalName = CanonicalMetric | FeatureName | "nonfinite";
