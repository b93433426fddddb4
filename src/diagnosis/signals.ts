/**
 * Signal names the rules read, grouped where a step metric and a trajectory
 * feature say the same thing. A rule asks for a group and takes the first
 * name the run logs (`pick` in trace.ts): the step metric first, because the
 * trainer computed it over the whole batch, then the scanner's feature, so a
 * run that logs only one of them is still diagnosed.
 */
import type { FaultId } from "../verdict/faults.js";
import type { SignalName } from "../verdict/signals.js";

export const SIGNALS = {
  reward: ["reward_mean", "reward.mean"],
  correct: ["correct_mean", "correct.mean"],
  klRef: ["kl_ref", "kl_ref.mean"],
  entropy: ["entropy", "entropy_mean.mean"],
  length: ["response_length_mean", "length.mean"],
  truncation: ["truncation_rate", "rate.truncation"],
  toolError: ["tool_error_rate", "rate.tool_error"],
  /** Within-group spread first (what GRPO learns from), then the batch spread. */
  rewardSpread: ["group.reward_std_mean", "reward_std"],
  /** The largest group's advantage scale shows a scale bug even when many groups have no variance. */
  advScale: ["group.adv_scale_max", "group.adv_scale_mean"],
} as const satisfies Record<string, readonly SignalName[]>;

/**
 * Signals whose non-finite values mean NaN/Inf reached training: the loss,
 * gradients, KL and log-probability statistics. A NaN tensor feature means
 * "not computable" (the scanner keeps non-finite cells out of statistics and
 * counts them in `nonfinite`), so only metrics count when NaN; an infinite
 * feature counts.
 */
export const NONFINITE_WATCH = [
  "loss",
  "pg_loss",
  "grad_norm",
  "kl_ref",
  "ppo_kl",
  "entropy",
  "reward_mean",
  "kl_ref.mean",
  "kl_ref.p90",
  "logprob_mean.mean",
  "logprob_gap.mean",
  "logprob_gap.max",
  "ratio_max.max",
  "ratio_mean.mean",
] as const satisfies readonly SignalName[];

/** Step metrics among NONFINITE_WATCH: a NaN here is the training step itself breaking. */
export const TRAINING_METRICS: ReadonlySet<string> = new Set<SignalName>([
  "loss",
  "pg_loss",
  "grad_norm",
  "kl_ref",
  "ppo_kl",
]);

/**
 * The signals each fault moves (faults.md's symptoms). diagnose() names the
 * most deviant of them in every diagnosis (also the fingerprint-only ones),
 * and estimates an onset from them when no rule gave one.
 */
export const FAULT_SIGNALS: Readonly<Record<FaultId, readonly SignalName[]>> = {
  reward_noise: [
    "corr.reward_correct",
    "group.reward_std_mean",
    "group.zero_var_share",
    "reward_std",
    "reward_mean",
    "reward.mean",
  ],
  reward_hacking: [
    "reward_mean",
    "reward.mean",
    "correct_mean",
    "correct.mean",
    "corr.reward_correct",
    "corr.reward_length",
    "repetition.mean",
    "length.mean",
    "response_length_mean",
  ],
  reward_parse_failure: [
    "reward_mean",
    "reward.mean",
    "reward_std",
    "group.reward_std_mean",
    "group.zero_var_share",
    "rate.format",
    "corr.reward_correct",
  ],
  temperature_misconfigured: [
    "entropy",
    "entropy_mean.mean",
    "entropy_mean.p10",
    "response_length_mean",
    "length.mean",
    "repetition.mean",
    "truncation_rate",
    "rate.truncation",
  ],
  length_truncation: ["truncation_rate", "rate.truncation", "length.p90", "length.mean", "response_length_mean"],
  rollout_policy_mismatch: [
    "logprob_gap.mean",
    "logprob_gap.max",
    "ratio_max.max",
    "ratio_mean.mean",
    "clip_frac",
    "ppo_kl",
  ],
  lr_too_high: ["lr", "grad_norm", "ppo_kl", "clip_frac", "kl_ref", "kl_ref.mean", "entropy"],
  kl_penalty_off: ["kl_ref", "kl_ref.mean", "kl_ref.p90", "entropy", "entropy_mean.mean"],
  gradient_explosion: ["grad_norm", "loss", "kl_ref", "ppo_kl"],
  nan_inf: ["nonfinite", "loss", "grad_norm", "logprob_mean.mean", "kl_ref"],
  group_misindexing: [
    "group.prompt_mismatch_share",
    "group.size_min",
    "group.count",
    "corr.advantage_reward",
    "group.reward_mean_std",
    "group.zero_var_share",
  ],
  advantage_misnormalization: [
    "group.adv_center_abs_mean",
    "group.adv_scale_mean",
    "group.adv_scale_max",
    "advantage.mean",
    "advantage.std",
    "corr.advantage_reward",
  ],
  difficulty_skew: ["group.zero_var_share", "reward_mean", "reward.mean", "correct_mean", "correct.mean", "grad_norm"],
  tool_failure: ["tool_error_rate", "rate.tool_error", "tool_calls.mean"],
  observation_corruption: [
    "correct_mean",
    "correct.mean",
    "rate.format",
    "tool_error_rate",
    "rate.tool_error",
    "entropy",
    "length.mean",
  ],
  worker_failure: ["num_trajectories", "step_time", "group.count"],
};
