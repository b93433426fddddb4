/**
 * The one table of foreign metric and column names: what each trainer calls a
 * canonical quantity. Every adapter maps names through it and nowhere else;
 * docs/formats.md shows it (generated from here by `npm run docs:formats`, and
 * a test checks that the two agree).
 *
 * Rules:
 * - A name that is already canonical stays as it is, and wins over any alias.
 * - Otherwise the first alias of the table (in order) that a record holds gives
 *   the canonical value; the other aliases present stay as extra metrics under
 *   their own names.
 * - A leading `train/` (how the HF Trainer's and OpenRLHF's wandb and
 *   tensorboard loggers prefix step metrics) is ignored when looking a name up;
 *   an unmapped name is kept whole, prefix included.
 * - Every name the table does not map is kept as an extra metric under its own
 *   name: nothing is dropped.
 */
import {
  CANONICAL_METRICS,
  CANONICAL_TRAJECTORY_COLUMNS,
  type CanonicalMetric,
  type CanonicalTrajectoryColumn,
} from "../../telemetry/records.js";
import { setKey } from "./values.js";

export interface Alias<C extends string> {
  /** The name as the trainer writes it. */
  foreign: string;
  canonical: C;
  /** Which trainers (and versions) write it, and any caveat. */
  from: string;
}

/** Step metrics: foreign name -> canonical metric, in priority order per canonical name. */
export const METRIC_ALIASES: readonly Alias<CanonicalMetric>[] = [
  { foreign: "reward", canonical: "reward_mean", from: "TRL GRPO/RLOO ≥0.14, ms-swift, OpenRLHF" },
  { foreign: "critic/score/mean", canonical: "reward_mean", from: "verl (task score, before any KL penalty)" },
  { foreign: "critic/rewards/mean", canonical: "reward_mean", from: "verl (after the KL-in-reward penalty)" },
  { foreign: "rollout/reward_mean", canonical: "reward_mean", from: "OpenRLHF" },
  { foreign: "objective/scores", canonical: "reward_mean", from: "TRL PPO/RLOO ≤0.2x" },
  {
    foreign: "reward_std",
    canonical: "reward_std",
    from: "TRL, ms-swift (mean of per-group stds before TRL 1.0, batch std from 1.0)",
  },
  { foreign: "rollout/reward_std", canonical: "reward_std", from: "OpenRLHF" },
  { foreign: "kl", canonical: "kl_ref", from: "TRL GRPO (beta > 0), ms-swift, OpenRLHF" },
  { foreign: "actor/kl_loss", canonical: "kl_ref", from: "verl (use_kl_loss)" },
  { foreign: "actor/reward_kl_penalty", canonical: "kl_ref", from: "verl (use_kl_in_reward)" },
  { foreign: "critic/kl", canonical: "kl_ref", from: "verl, older releases (KL in reward)" },
  { foreign: "actor/ppo_kl", canonical: "ppo_kl", from: "verl" },
  { foreign: "policy/approxkl_avg", canonical: "ppo_kl", from: "TRL PPO/RLOO ≤0.2x" },
  { foreign: "actor/entropy", canonical: "entropy", from: "verl ≥0.5" },
  { foreign: "actor/entropy_loss", canonical: "entropy", from: "verl ≤0.4 (renamed actor/entropy, same value)" },
  { foreign: "entropy/mean", canonical: "entropy", from: "ms-swift (--log_entropy)" },
  { foreign: "entropy_loss", canonical: "entropy", from: "OpenRLHF (mean token entropy, with entropy_loss_coef)" },
  { foreign: "policy/entropy_avg", canonical: "entropy", from: "TRL PPO/RLOO ≤0.2x" },
  { foreign: "actor/loss", canonical: "loss", from: "verl" },
  { foreign: "actor/pg_loss", canonical: "pg_loss", from: "verl" },
  { foreign: "policy_loss", canonical: "pg_loss", from: "OpenRLHF" },
  { foreign: "loss/policy_avg", canonical: "pg_loss", from: "TRL PPO/RLOO ≤0.2x" },
  { foreign: "actor/grad_norm", canonical: "grad_norm", from: "verl" },
  { foreign: "actor_grad_norm", canonical: "grad_norm", from: "OpenRLHF" },
  { foreign: "learning_rate", canonical: "lr", from: "HF Trainer: TRL, ms-swift" },
  { foreign: "actor/lr", canonical: "lr", from: "verl" },
  { foreign: "actor_lr", canonical: "lr", from: "OpenRLHF" },
  { foreign: "clip_ratio/region_mean", canonical: "clip_frac", from: "TRL ≥0.17, ms-swift" },
  { foreign: "clip_ratio", canonical: "clip_frac", from: "TRL 0.16, OpenRLHF ≤0.8" },
  { foreign: "actor/pg_clipfrac", canonical: "clip_frac", from: "verl" },
  { foreign: "ppo_clip_ratio", canonical: "clip_frac", from: "OpenRLHF" },
  { foreign: "policy/clipfrac_avg", canonical: "clip_frac", from: "TRL PPO/RLOO ≤0.2x" },
  { foreign: "completions/mean_length", canonical: "response_length_mean", from: "TRL ≥0.17, ms-swift" },
  { foreign: "completion_length", canonical: "response_length_mean", from: "TRL 0.14–0.16" },
  { foreign: "response_length/mean", canonical: "response_length_mean", from: "verl" },
  { foreign: "response_length", canonical: "response_length_mean", from: "OpenRLHF" },
  { foreign: "rollout/response_length_mean", canonical: "response_length_mean", from: "OpenRLHF" },
  { foreign: "completions/clipped_ratio", canonical: "truncation_rate", from: "TRL ≥0.17, ms-swift" },
  { foreign: "response_length/clip_ratio", canonical: "truncation_rate", from: "verl" },
  { foreign: "rollout/truncated_rate", canonical: "truncation_rate", from: "OpenRLHF" },
  { foreign: "timing_s/step", canonical: "step_time", from: "verl" },
  { foreign: "timing/step", canonical: "step_time", from: "verl, older releases" },
  { foreign: "perf/time_per_step", canonical: "step_time", from: "verl" },
  { foreign: "timing/step_total", canonical: "step_time", from: "OpenRLHF" },
  { foreign: "rollout/num_samples", canonical: "num_trajectories", from: "OpenRLHF" },
  { foreign: "tools/failure_frequency", canonical: "tool_error_rate", from: "TRL 1.x (tool-calling runs)" },
];

/** Trajectory columns: foreign column -> canonical column. */
export const COLUMN_ALIASES: readonly Alias<CanonicalTrajectoryColumn>[] = [
  { foreign: "score", canonical: "reward", from: "verl rollout dumps (rollout_data_dir)" },
  { foreign: "acc", canonical: "correct", from: "verl rollout dumps (reward_extra_info of the math scorers)" },
];

/** The prefix the wandb and tensorboard loggers of the HF Trainer and OpenRLHF put on step metrics. */
export const LOGGER_PREFIX = "train/";

/** A name lookup: base name -> [canonical name, priority (0 = the canonical name itself)]. */
type Lookup = ReadonlyMap<string, readonly [string, number]>;

function lookupOf(canonical: readonly string[], aliases: readonly Alias<string>[]): Lookup {
  const lookup = new Map<string, readonly [string, number]>();
  for (const name of canonical) lookup.set(name, [name, 0]);
  aliases.forEach((alias, i) => {
    if (!lookup.has(alias.foreign)) lookup.set(alias.foreign, [alias.canonical, i + 1]);
  });
  return lookup;
}

const METRIC_LOOKUP = lookupOf(CANONICAL_METRICS, METRIC_ALIASES);
const COLUMN_LOOKUP = lookupOf(CANONICAL_TRAJECTORY_COLUMNS, COLUMN_ALIASES);

/** Step metrics under canonical names where the table knows them, the rest under their own. */
export function canonicalMetrics(raw: Readonly<Record<string, number>>): Record<string, number> {
  return rename(raw, METRIC_LOOKUP, true);
}

/** Trajectory columns under canonical names where the table knows them, the rest under their own. */
export function canonicalColumns<T>(raw: Readonly<Record<string, T>>): Record<string, T> {
  return rename(raw, COLUMN_LOOKUP, false);
}

function rename<T>(raw: Readonly<Record<string, T>>, lookup: Lookup, stripPrefix: boolean): Record<string, T> {
  // The best source key for each canonical name: lowest table rank, and on a tie the unprefixed key.
  const chosen = new Map<string, { key: string; rank: number }>();
  for (const key of Object.keys(raw)) {
    const prefixed = stripPrefix && key.startsWith(LOGGER_PREFIX);
    const hit = lookup.get(prefixed ? key.slice(LOGGER_PREFIX.length) : key);
    if (!hit) continue;
    const [canonical, priority] = hit;
    const rank = priority * 2 + (prefixed ? 1 : 0);
    const best = chosen.get(canonical);
    if (!best || rank < best.rank) chosen.set(canonical, { key, rank });
  }
  const out: Record<string, T> = {};
  const used = new Set<string>();
  for (const [canonical, { key }] of chosen) {
    setKey(out, canonical, raw[key]);
    used.add(key);
  }
  // The rest keep their own names. None can collide with a canonical name set above: a key that
  // is exactly a canonical name has rank 0 and so is always the one chosen for it.
  for (const key of Object.keys(raw)) if (!used.has(key)) setKey(out, key, raw[key]);
  return out;
}
