/** A scanned step's size (trajectories, groups, tool calls), which the detect stage's rates and correlations are judged against. */
import { CANONICAL_COLUMNS, STEP_FEATURES } from "../backend/generated/layout.js";
import { type StepSize, stepSize } from "../detect/kinds.js";
import { featureIndex } from "../scan/features.js";
import type { MonitoredStep } from "./signals.js";

const TOOL_CALLS = (CANONICAL_COLUMNS as readonly string[]).indexOf("tool_calls");

export function readStepSize(step: MonitoredStep): StepSize {
  const row = step.features;
  let toolCalls = NaN;
  if (row && step.data.trajectories?.columns.has("tool_calls") && step.columns[TOOL_CALLS] === "tool_calls") {
    toolCalls = row[featureIndex(TOOL_CALLS, "mean")] * row[featureIndex(TOOL_CALLS, "count")];
  }
  return stepSize(row ? row.subarray(0, STEP_FEATURES.length) : null, toolCalls, step.data.metrics);
}
