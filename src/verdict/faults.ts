/**
 * The fault taxonomy (docs/spec/faults.md, contract v1): 16 fault ids in 5
 * families. The ids are a public contract shared by the diagnoses, the
 * remediation policy and the benchmark labels, so they live in the library
 * (the benchmark re-exports them; the library never imports the benchmark).
 */
export const FAULT_FAMILIES = {
  reward_noise: "reward",
  reward_hacking: "reward",
  reward_parse_failure: "reward",
  temperature_misconfigured: "policy_generation",
  length_truncation: "policy_generation",
  rollout_policy_mismatch: "policy_generation",
  lr_too_high: "optimization_dynamics",
  kl_penalty_off: "optimization_dynamics",
  gradient_explosion: "optimization_dynamics",
  nan_inf: "optimization_dynamics",
  group_misindexing: "credit_assignment",
  advantage_misnormalization: "credit_assignment",
  difficulty_skew: "credit_assignment",
  tool_failure: "tool_environment",
  observation_corruption: "tool_environment",
  worker_failure: "tool_environment",
} as const;

export type FaultId = keyof typeof FAULT_FAMILIES;
export type Family = (typeof FAULT_FAMILIES)[FaultId];
export const FAULT_IDS = Object.keys(FAULT_FAMILIES) as FaultId[];

/** Whether `value` is one of the 16 fault ids (diagnoses arrive as plain strings). */
export function isFaultId(value: unknown): value is FaultId {
  return typeof value === "string" && Object.hasOwn(FAULT_FAMILIES, value);
}

/**
 * Faults a trainer action can undo (verdicts.md actions): the rest (a gameable
 * reward, a broken parser, a pipeline or advantage bug) need a human, so the
 * right remediation is to halt, and recovery is not expected of them.
 */
export const REMEDIABLE_FAULTS: ReadonlySet<FaultId> = new Set<FaultId>([
  "reward_noise",
  "temperature_misconfigured",
  "length_truncation",
  "rollout_policy_mismatch",
  "lr_too_high",
  "kl_penalty_off",
  "gradient_explosion",
  "nan_inf",
  "difficulty_skew",
  "tool_failure",
  "observation_corruption",
  "worker_failure",
]);
