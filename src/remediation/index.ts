/**
 * Remediation: from the monitor's verdict (alarm, ranked diagnosis, how far
 * the run is from healthy) to trainer actions, through a remedy table and an
 * escalation ladder with cooldown, budget and verification. See
 * docs/remediation.md.
 */

export { type DiagnosisEntry, type PolicyInput, rollbackTarget } from "./input.js";
export { LEVEL_NAMES, type Level, type PlannedRound, planRound, type RoundContext } from "./ladder.js";
export { POLICY_DEFAULTS, type PolicyOptions, resolveOptions } from "./options.js";
export { type Decision, type DecisionKind, type PolicyOutput, RemediationPolicy } from "./policy.js";
export { REMEDIES, type Remedy, type RemedyStep, type ResolvedRemedy, resolveRemedy } from "./remedies.js";
export type { Pending, PolicyState, RunPolicyState } from "./state.js";
