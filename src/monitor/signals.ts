/**
 * The signals the monitor watches, and how a step's values are read for them.
 *
 * A signal is either a step metric (telemetry.md names: `reward_mean`,
 * `kl_ref`, ...) or a feature the scanner computed from the step's trajectory
 * tensor (docs/kernels.md names: `group.zero_var_share`, `logprob_gap.max`,
 * ...), plus `nonfinite`, the count of non-finite cells in the tensor. Metric
 * names never contain a dot, so the two name spaces do not collide.
 *
 * Which signals a monitor watches is decided by its fingerprint set (the ones
 * healthy labelled runs logged). `CANDIDATE_SIGNALS` is what learning starts
 * from: every canonical metric, and the features that the fault taxonomy
 * (shared/spec/faults.md) points at. All 135 column statistics would mostly
 * repeat each other and, each being a chance to alarm, raise the false-alarm
 * rate without adding power.
 */
import { featureRecord, type StepFeatures, type ScannableStep } from "../scan/scan.js";
import { CANONICAL_METRICS } from "../telemetry/records.js";

/** Step metrics of telemetry.md: every canonical metric is watched. */
export const METRIC_SIGNALS: readonly string[] = CANONICAL_METRICS;

/** Trajectory-tensor features (scanner names) worth watching. */
export const FEATURE_SIGNALS = [
  "group.zero_var_share",
  "group.reward_mean_std",
  "group.reward_std_mean",
  "group.adv_center_abs_mean",
  "group.adv_scale_mean",
  "group.adv_scale_max",
  "group.size_min",
  "group.count",
  "corr.reward_correct",
  "corr.advantage_reward",
  "corr.reward_length",
  "rate.format",
  "rate.truncation",
  "rate.tool_error",
  "logprob_gap.mean",
  "logprob_gap.max",
  "ratio_max.max",
  "ratio_mean.mean",
  "repetition.mean",
  "kl_ref.p90",
  "kl_ref.mean",
  "entropy_mean.mean",
  "entropy_mean.p10",
  "length.mean",
  "length.p90",
  "tool_calls.mean",
  "logprob_mean.mean",
  "reward.mean",
  "correct.mean",
  "advantage.mean",
  "advantage.std",
  "nonfinite",
] as const;

export const CANDIDATE_SIGNALS: readonly string[] = [...METRIC_SIGNALS, ...FEATURE_SIGNALS];

/** Whether a signal comes from the trajectory tensor (else from the step metrics). */
export function isTensorSignal(name: string): boolean {
  return name === "nonfinite" || name.includes(".");
}

/** A step as the monitor reads it: the scanner's result, with the step's metrics when the trainer sent them. */
export type MonitoredStep = StepFeatures<ScannableStep & { readonly metrics?: Readonly<Record<string, number>> }>;

/**
 * The values of `signals` at a step, and which of them the step reported.
 *
 * A metric that was sent counts as reported even when it is NaN or infinite
 * (non-finite is data: the monitor alarms on it). A tensor feature is reported
 * when the scanner could compute it (a finite value): the kernels keep
 * non-finite cells out of the statistics and count them in `nonfinite`, so a
 * NaN feature means "not computable here" (no such column, no groups, ...).
 */
export function readSignals(
  step: MonitoredStep,
  signals: readonly string[],
  values: Float64Array,
  present: Uint8Array,
): void {
  const features = featureRecord(step);
  const metrics = step.data.metrics ?? {};
  let nonfinite = NaN;
  if (step.features) {
    nonfinite = 0;
    for (const [name, v] of Object.entries(features)) if (name.endsWith(".nonfinite")) nonfinite += v;
  }
  signals.forEach((name, i) => {
    let v = NaN;
    let reported = false;
    if (name === "nonfinite") {
      v = nonfinite;
      reported = step.features !== null;
    } else if (isTensorSignal(name)) {
      v = features[name] ?? NaN;
      reported = Number.isFinite(v);
    } else if (Object.prototype.hasOwnProperty.call(metrics, name)) {
      v = Number(metrics[name]);
      reported = true;
    }
    values[i] = v;
    present[i] = reported ? 1 : 0;
  });
}
