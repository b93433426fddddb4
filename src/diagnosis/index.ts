/**
 * Fault diagnosis: rules (one per fault of the taxonomy) and their merge with
 * the fingerprint matches. docs/diagnosis.md describes the rules and how to
 * add one.
 */
export type { DiagnosisContext, FingerprintMatch, SignalTrace } from "./context.js";
export type { Finding, Rule } from "./rule.js";
export { diagnose, diagnoseReport, type Diagnosis, type DiagnoseOptions, type DiagnosisReport, type RuleFailure } from "./diagnose.js";
export * from "./rules.js";
export { makeContext, type ContextInput, type TraceInput } from "./build.js";
export { estimateOnset } from "./onset.js";
export { FAULT_SIGNALS, SIGNALS } from "./signals.js";
export { BAND, ramp, zStrength } from "./confidence.js";
export { at, deviation, fromStart, healthyBefore, moved, peak, pick, points, span, type Move, type MoveOptions, type Point } from "./trace.js";
export { describe, num, sigma } from "./format.js";
export { Case } from "./case.js";
