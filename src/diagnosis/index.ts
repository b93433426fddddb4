/**
 * Fault diagnosis: rules (one per fault of the taxonomy) and their merge with
 * the fingerprint matches. docs/diagnosis.md describes the rules and how to
 * add one.
 */

export { type ContextInput, makeContext, type TraceInput } from "./build.js";
export { Case } from "./case.js";
export { BAND, ramp, zStrength } from "./confidence.js";
export type { DiagnosisContext, FingerprintMatch, SignalTrace } from "./context.js";
export {
  type DiagnoseOptions,
  type DiagnosisReport,
  diagnose,
  diagnoseReport,
  type RuleFailure,
} from "./diagnose.js";
export { evidenceLine } from "./format.js";
export { estimateOnset } from "./onset.js";
export type { Finding, Rule } from "./rule.js";
export * from "./rules.js";
export { FAULT_SIGNALS, SIGNALS } from "./signals.js";
export {
  at,
  deviation,
  fromStart,
  healthyBefore,
  type Move,
  type MoveOptions,
  moved,
  type Point,
  peak,
  pick,
  points,
  span,
} from "./trace.js";
