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
 * (docs/spec/faults.md) points at. All 135 column statistics would mostly
 * repeat each other and, each being a chance to alarm, raise the false-alarm
 * rate without adding power.
 */
import { CANONICAL_COLUMNS, COLUMN_STATS, STEP_FEATURES } from "../backend/generated/layout.js";
import { type ColumnStat, featureIndex } from "../scan/features.js";
import { featureRecord, type ScannableStep, type StepFeatures } from "../scan/scan.js";
import { CANONICAL_METRICS } from "../telemetry/records.js";
import type { SignalName } from "../verdict/signals.js";

/** Step metrics of telemetry.md: every canonical metric is watched. */
export const METRIC_SIGNALS: readonly SignalName[] = CANONICAL_METRICS;

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
] as const satisfies readonly SignalName[];

export const CANDIDATE_SIGNALS: readonly SignalName[] = [...METRIC_SIGNALS, ...FEATURE_SIGNALS];

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
  const plan = planFor(signals);
  const metrics = step.data.metrics ?? {};
  const row = step.features;
  const tensor = step.data.trajectories?.columns;
  let record: Record<string, number> | undefined;
  plan.forEach((source, i) => {
    let v = NaN;
    let reported = false;
    switch (source.kind) {
      case "metric":
        if (Object.hasOwn(metrics, source.name)) {
          v = Number(metrics[source.name]);
          reported = true;
        }
        break;
      case "nonfinite":
        if (row) {
          v = 0;
          step.columns.forEach((column, c) => {
            if (tensor?.has(column)) v += row[featureIndex(c, "nonfinite")];
          });
          reported = true;
        }
        break;
      case "step":
        v = row ? row[source.index] : NaN;
        reported = Number.isFinite(v);
        break;
      case "column":
        // Canonical columns lead every feature row in canonical order (pack.ts).
        if (row && tensor?.has(source.column) && step.columns[source.columnIndex] === source.column)
          v = row[source.index];
        reported = Number.isFinite(v);
        break;
      default:
        record ??= featureRecord(step);
        v = record[source.name] ?? NaN;
        reported = Number.isFinite(v);
    }
    values[i] = v;
    present[i] = reported ? 1 : 0;
  });
}

/** Where a signal's value is read from; planned once per signal list (reading a step builds no names). */
type Source =
  | { kind: "metric"; name: string }
  | { kind: "nonfinite" }
  | { kind: "step"; index: number }
  | { kind: "column"; column: string; columnIndex: number; index: number }
  | { kind: "record"; name: string };

const plans = new WeakMap<readonly string[], Source[]>();

function planFor(signals: readonly string[]): Source[] {
  let plan = plans.get(signals);
  if (!plan) {
    plan = signals.map((name): Source => {
      if (name === "nonfinite") return { kind: "nonfinite" };
      if (!isTensorSignal(name)) return { kind: "metric", name };
      const stepIndex = (STEP_FEATURES as readonly string[]).indexOf(name);
      if (stepIndex >= 0) return { kind: "step", index: stepIndex };
      const dot = name.lastIndexOf(".");
      const column = name.slice(0, dot);
      const stat = name.slice(dot + 1) as ColumnStat;
      const columnIndex = (CANONICAL_COLUMNS as readonly string[]).indexOf(column);
      if (columnIndex >= 0 && (COLUMN_STATS as readonly string[]).includes(stat)) {
        return { kind: "column", column, columnIndex, index: featureIndex(columnIndex, stat) };
      }
      return { kind: "record", name };
    });
    plans.set(signals, plan);
  }
  return plan;
}
