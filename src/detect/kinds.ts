/**
 * What each watched signal is, for the trend detector: its kind and the
 * directions in which a lasting change may alarm (layout/trend.json
 * `signals`, the one place this is declared), turned into the kernel's
 * observation codes for a signal list, and how many trials stand behind a
 * share or a correlation at a step.
 */
import { STEP_FEATURES } from "../backend/generated/layout.js";
import { TREND_KINDS, TREND_SIGNALS } from "../backend/generated/trend.js";
import { TREND_ABSENT, TREND_MAY_FALL, TREND_MAY_RISE } from "../backend/kernel.js";

export type TrendKind = (typeof TREND_KINDS)[number]["name"];

interface SignalSpec {
  readonly kind: TrendKind;
  readonly alarm: readonly ("up" | "down")[];
}

const SPECS: Readonly<Record<string, SignalSpec>> = TREND_SIGNALS;

/** The kind of a signal the trend detector judges; undefined for one it does not. */
export function signalKind(name: string): TrendKind | undefined {
  return SPECS[name]?.kind;
}

/** The signals the trend detector judges (layout/trend.json). */
export const TREND_SIGNAL_NAMES: readonly string[] = Object.keys(SPECS);

/** Per signal of the list: its kernel code, or `TREND_ABSENT` for a signal the trend detector does not judge. */
export function trendCodes(signals: readonly string[]): Int32Array {
  return Int32Array.from(signals, (name) => {
    const spec = SPECS[name];
    if (!spec) return TREND_ABSENT;
    const kind = TREND_KINDS.findIndex((k) => k.name === spec.kind);
    return kind | (spec.alarm.includes("up") ? TREND_MAY_RISE : 0) | (spec.alarm.includes("down") ? TREND_MAY_FALL : 0);
  });
}

/** What a step says of its own size: trajectories, groups, tool calls (NaN: not known). */
export interface StepSize {
  rows: number;
  groups: number;
  toolCalls: number;
}

const ROWS = STEP_FEATURES.indexOf("rows");
const GROUPS = STEP_FEATURES.indexOf("group.count");

/**
 * The step's size from its scanned features (`stepFeatures`, the scanner's
 * step-feature block, or null without a tensor) and its metrics.
 */
export function stepSize(
  stepFeatures: ArrayLike<number> | null,
  toolCallsTotal: number,
  metrics: Readonly<Record<string, number>> | undefined,
): StepSize {
  const fromMetrics = Number(metrics?.num_trajectories);
  const rows = stepFeatures ? stepFeatures[ROWS] : Number.isFinite(fromMetrics) ? fromMetrics : NaN;
  return { rows, groups: stepFeatures ? stepFeatures[GROUPS] : NaN, toolCalls: toolCallsTotal };
}

/** Trials behind a share or correlation signal at a step (NaN: unknown; the kernel then assumes a few). */
export function trialsOf(name: string, size: StepSize): number {
  if (name === "group.zero_var_share") return size.groups;
  if (name === "rate.tool_error" || name === "tool_error_rate")
    return Number.isFinite(size.toolCalls) && size.toolCalls > 0 ? size.toolCalls : size.rows;
  return size.rows;
}
