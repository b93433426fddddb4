/**
 * Remediation: from the monitor's verdict (alarm, ranked diagnosis, how far
 * the run is from healthy) to trainer actions, through a remedy table and an
 * escalation ladder with cooldown, budget and verification. See
 * docs/remediation.md.
 */
export { RemediationPolicy, type Decision, type DecisionKind, type PolicyOutput } from "./policy.js";
export { POLICY_DEFAULTS, resolveOptions, type PolicyOptions } from "./options.js";
export { rollbackTarget, type DiagnosisEntry, type PolicyInput } from "./input.js";
export { LEVEL_NAMES, planRound, type Level, type PlannedRound, type RoundContext } from "./ladder.js";
export { REMEDIES, resolveRemedy, type Remedy, type RemedyStep, type ResolvedRemedy } from "./remedies.js";
export type { Pending, PolicyState, RunState } from "./state.js";
