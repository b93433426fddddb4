/**
 * One crafted context per fault: the healthy signals of helpers.ts with the
 * fault's symptoms written over them, as faults.md and the benchmark's
 * injections (bench/faultbench/inject.ts) describe them. Alarm at step 15.
 */
import type { TraceInput } from "../../src/diagnosis/build.js";
import type { FaultId } from "../../src/verdict/faults.js";
import { always, healthy, jump, series } from "./helpers.js";

type Signals = Record<string, TraceInput>;
const I = Infinity;

/** Sets a step metric and its tensor feature twin to the same trace. */
const both = (a: string, b: string, t: TraceInput): Signals => ({ [a]: t, [b]: t });

export const SCENARIOS: Record<FaultId, () => Signals> = {
  nan_inf: () => ({
    ...healthy(),
    grad_norm: series([0.5, 0.5, 0.5, 0.5, 0.5, NaN, NaN, 0.5], [0, 0, 0, 0, 0, I, I, 0]),
    loss: series([0.01, 0.01, 0.01, 0.01, 0.01, NaN, 0.01, 0.01], [0, 0, 0, 0, 0, I, 0, 0]),
    nonfinite: series([0, 0, 0, 0, 0, 40, 38, 0], [0, 0, 0, 0, 0, I, I, 0]),
  }),
  gradient_explosion: () => ({
    ...healthy(),
    grad_norm: series([0.5, 0.5, 0.5, 0.5, 0.5, 500, 0.6, 0.5], [0, 0, 0, 0, 0, 40, 0.5, 0], 0.5),
    ...both(
      "kl_ref",
      "kl_ref.mean",
      series([0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.05, 0.05], [0, 0, 0, 0, 0, 0, 5, 5], 0.01),
    ),
  }),
  lr_too_high: () => ({
    ...healthy(),
    lr: always(4e-5, 60, 1e-6),
    grad_norm: always(3, 8, 0.5),
    ppo_kl: always(0.05, 9, 0.002),
    clip_frac: always(0.2, 7, 0.01),
    ...both(
      "kl_ref",
      "kl_ref.mean",
      series([0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], [4, 6, 8, 10, 12, 14, 16, 18], 0.01),
    ),
  }),
  kl_penalty_off: () => ({
    ...healthy(),
    ...both(
      "kl_ref",
      "kl_ref.mean",
      series([0.01, 0.012, 0.015, 0.02, 0.03, 0.06, 0.1, 0.15], [0, 0.5, 1, 2, 3.5, 6, 9, 13], 0.01),
    ),
    ...both(
      "entropy",
      "entropy_mean.mean",
      series([0.8, 0.8, 0.78, 0.75, 0.7, 0.6, 0.5, 0.4], [0, 0, -0.5, -1, -2, -3.5, -4.5, -6], 0.8),
    ),
  }),
  rollout_policy_mismatch: () => ({
    ...healthy(),
    "logprob_gap.mean": jump(0.005, 0.08, 12),
    "logprob_gap.max": jump(0.3, 2.5, 9),
    "ratio_max.max": jump(1.3, 6, 10),
    clip_frac: jump(0.01, 0.08, 6),
    ppo_kl: jump(0.002, 0.01, 5),
  }),
  temperature_misconfigured: () => ({
    ...healthy(),
    ...both("entropy", "entropy_mean.mean", always(2.4, 12, 0.8)),
    "entropy_mean.p10": always(1.5, 9, 0.3),
    ...both("response_length_mean", "length.mean", always(18, 6, 12)),
    ...both("truncation_rate", "rate.truncation", always(0.3, 8, 0.02)),
  }),
  length_truncation: () => ({
    ...healthy(),
    ...both("truncation_rate", "rate.truncation", always(0.6, 20, 0.02)),
    "length.p90": always(8, -6, 16),
    ...both("response_length_mean", "length.mean", always(7, -5, 12)),
  }),
  reward_hacking: () => ({
    ...healthy(),
    ...both("reward_mean", "reward.mean", jump(0.5, 0.9, 8)),
    "corr.reward_correct": jump(0.95, 0.45, -10),
    "repetition.mean": jump(0.1, 0.4, 6),
  }),
  reward_parse_failure: () => ({
    ...healthy(),
    reward_mean: jump(0.6, 0.02, -20),
    "reward.mean": jump(0.6, 0.02, -20),
    correct_mean: jump(0.6, 0.6, 0),
    "correct.mean": jump(0.6, 0.6, 0),
    "group.reward_std_mean": jump(0.35, 0.01, -8),
    reward_std: jump(0.4, 0.1, -6),
    "group.zero_var_share": jump(0.2, 0.95, 12),
    "corr.reward_correct": jump(0.95, 0.1, -12),
  }),
  reward_noise: () => ({
    ...healthy(),
    "corr.reward_correct": jump(0.95, 0.55, -8),
    "group.reward_std_mean": jump(0.35, 0.45, 4),
    "group.zero_var_share": jump(0.2, 0.1, -4),
    ...both("reward_mean", "reward.mean", jump(0.5, 0.45, -2)),
  }),
  group_misindexing: () => ({
    ...healthy(),
    "group.size_min": always(2, -10, 8),
    "corr.advantage_reward": always(0.45, -6, 0.8),
    "group.reward_mean_std": always(0.1, -5, 0.3),
    "group.zero_var_share": always(0.05, -4, 0.2),
  }),
  advantage_misnormalization: () => ({
    ...healthy(),
    "group.adv_center_abs_mean": always(0.9, 40, 0),
    "advantage.mean": always(0.9, 30, 0),
  }),
  difficulty_skew: () => ({
    ...healthy(),
    "group.zero_var_share": jump(0.2, 0.9, 10),
    ...both("reward_mean", "reward.mean", jump(0.5, 0.95, 9)),
    ...both("correct_mean", "correct.mean", jump(0.5, 0.95, 9)),
    grad_norm: jump(0.5, 0.1, -4),
    reward_std: jump(0.4, 0.1, -5),
    "group.reward_std_mean": jump(0.35, 0.05, -7),
  }),
  tool_failure: () => ({
    ...healthy(),
    ...both("tool_error_rate", "rate.tool_error", jump(0, 0.65, 15)),
    "tool_calls.mean": jump(1, 1.4, 4),
    ...both("correct_mean", "correct.mean", jump(0.5, 0.35, -5)),
    ...both("reward_mean", "reward.mean", jump(0.5, 0.35, -5)),
  }),
  observation_corruption: () => ({
    ...healthy(),
    ...both("correct_mean", "correct.mean", jump(0.7, 0.3, -10)),
    ...both("reward_mean", "reward.mean", jump(0.7, 0.3, -10)),
    "rate.format": jump(0.95, 0.5, -8),
    ...both("entropy", "entropy_mean.mean", jump(0.8, 1.3, 5)),
    "length.mean": jump(12, 20, 5),
  }),
  worker_failure: () => ({
    ...healthy(),
    num_trajectories: jump(64, 40, -20),
    step_time: jump(3, 33, 12),
    "group.count": jump(8, 5, -8),
  }),
};
