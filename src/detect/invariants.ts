/**
 * Invariants: what holds in any healthy RFT run, whatever the trainer, model
 * or task, so a breach needs no reference of the same setup. Each reads the
 * signal's value and the trend kernel's running statistics of it (early
 * extremes, running median and 90th percentile, the 5-point median and its
 * peak), and must hold for `persistence` logged points in a row before it is
 * an alarm. docs/detection.md lists each with its threshold and why.
 */
import type { TREND_OUTPUTS } from "../backend/generated/trend.js";
import { formatNumber } from "../verdict/words.js";

type Output = (typeof TREND_OUTPUTS)[number];

/** One signal as the invariants see it at a step. */
export interface SignalReading {
  readonly name: string;
  /** The value (NaN when not reported). */
  readonly value: number;
  /** Logged points of the signal before this one. */
  readonly seen: number;
  /** A trend-kernel output for this observation. */
  out(name: Output): number;
}

export interface Breach {
  /** How far past the line, as a ratio or a value (the anomaly's score). */
  score: number;
  direction: "up" | "down";
  /** The test, in words, with the numbers it used. */
  reason: string;
  /** The reference the value was judged against, kept while the breach lasts (see `test`). */
  reference?: number;
}

export interface Invariant {
  readonly id: string;
  /** Signals it is tested on, each on its own. */
  readonly signals: readonly string[];
  /** Logged points in a row the breach must hold. */
  readonly persistence: number;
  /** What it catches (docs/detection.md). */
  readonly doc: string;
  /**
   * The breach at this point, or null; `other` reads another signal of the
   * same step; `held` is the reference of the breach under way (none at its
   * first point), so a running reference the breach itself pulls up (a running
   * quantile) does not end it.
   */
  test(r: SignalReading, other: (name: string) => SignalReading | undefined, held?: number): Breach | null;
}

const f = formatNumber;

const GRAD_NORM_FACTOR = 10;
const ENTROPY_SHARE = 0.1;
const LENGTH_SHARE = 0.2;
const KL_FACTOR = 10;
const KL_FLOOR = 1;
const PPO_KL_FLOOR = 0.1;
const PINNED = 0.9;
const UNPINNED_EARLY = 0.5;
const TRAJECTORY_SHARE = 0.8;
const REWARD_KEPT = 0.3;
const REWARD_GAIN_NOISE = 4;
const CENTRE_SHARE = 0.1;
const FLIPPED_CORR = -0.5;
const LOGPROB_GAP = 0.2;
const CAP_TRUNCATED = 0.1;
const CAP_GAP_SPREAD = 0.5;
/**
 * Logged points in a row with a group that mixes prompts before it is an alarm.
 * No threshold on the share: a GRPO group is the samples of one prompt by
 * construction, so one mixed group is already a broken pipeline, in any setup.
 * Two points rather than one so that a single mislogged tensor (a record torn
 * or spliced by the logging, not the trainer) is not an alarm, as a one-off
 * elsewhere is not; a real misindexing bug mixes groups at every step, so
 * waiting costs one logged point. Not three: nothing here needs averaging out.
 */
const MIXED_PERSISTENCE = 2;

export const INVARIANTS: readonly Invariant[] = [
  {
    id: "grad_norm_blowup",
    signals: ["grad_norm"],
    persistence: 2,
    doc: `grad norm at ${GRAD_NORM_FACTOR}x its running 90th percentile (last 16 points) or more, for 2 points: a running upper quantile, not the median, because real grad norms are often bimodal (exact zeros on skipped steps)`,
    test(r, _other, held) {
      const ref = held ?? r.out("p90");
      if (r.seen < 5 || !(ref > 0) || !(r.value >= GRAD_NORM_FACTOR * ref)) return null;
      return {
        score: r.value / ref,
        direction: "up",
        reason: `${f(r.value)} is ${f(r.value / ref)}x its running 90th percentile ${f(ref)}`,
        reference: ref,
      };
    },
  },
  {
    id: "entropy_collapse",
    signals: ["entropy", "entropy_mean.mean"],
    persistence: 3,
    doc: `policy entropy at ${ENTROPY_SHARE} of its early maximum (first 5 points) or less, for 3 points: entropy falls in healthy runs, rarely by 10x`,
    test: (r) => shareOfEarly(r, ENTROPY_SHARE, "its early maximum"),
  },
  {
    id: "length_collapse",
    signals: ["response_length_mean", "length.mean"],
    persistence: 3,
    doc: `completion length at ${LENGTH_SHARE} of its early maximum or less, for 3 points: answers shrinking to a few tokens`,
    test: (r) => shareOfEarly(r, LENGTH_SHARE, "its early maximum"),
  },
  {
    id: "kl_blowup",
    signals: ["kl_ref", "kl_ref.mean", "ppo_kl"],
    persistence: 3,
    doc: `KL to the reference at ${KL_FACTOR}x its early maximum and at least ${KL_FLOOR} (ppo_kl: at least ${PPO_KL_FLOOR}), for 3 points: KL drifts up by design, but not to these values`,
    test(r) {
      const early = r.out("early_max");
      const floor = r.name === "ppo_kl" ? PPO_KL_FLOOR : KL_FLOOR;
      const line = Math.max(KL_FACTOR * (early > 0 ? early : 0), floor);
      if (r.seen < 1 || !(r.value >= line)) return null;
      return {
        score: r.value / line,
        direction: "up",
        reason: `${f(r.value)} against an early maximum of ${f(early)} (line ${f(line)})`,
      };
    },
  },
  {
    id: "length_pinned",
    signals: ["truncation_rate", "rate.truncation"],
    persistence: 3,
    doc: `truncation (5-point median) at ${PINNED} or more after an early maximum of ${UNPINNED_EARLY} or less, for 3 points: completions pinned at the length cap; a run truncated from its start is not flagged (some healthy runs are)`,
    test: (r) => pinned(r, "completions truncated"),
  },
  {
    id: "zero_variance",
    signals: ["group.zero_var_share"],
    persistence: 3,
    doc: `share of groups with zero reward variance (5-point median) at ${PINNED} or more after an early maximum of ${UNPINNED_EARLY} or less, for 3 points: no learning signal left`,
    test: (r) => pinned(r, "groups without reward variance"),
  },
  {
    id: "trajectories_drop",
    signals: ["num_trajectories", "group.count"],
    persistence: 2,
    doc: `trajectories (or groups) per step at ${TRAJECTORY_SHARE} of their running median (last 16 points) or less, for 2 points: rollout workers lost`,
    test(r) {
      const ref = r.out("median16");
      if (r.seen < 3 || !(ref > 0) || !(r.value <= TRAJECTORY_SHARE * ref)) return null;
      return {
        score: ref / Math.max(r.value, 1),
        direction: "down",
        reason: `${f(r.value)} against a running median of ${f(ref)}`,
      };
    },
  },
  {
    id: "reward_collapse",
    signals: ["reward_mean", "reward.mean", "correct_mean", "correct.mean"],
    persistence: 3,
    doc: `reward (5-point median) back to ${REWARD_KEPT} of its gain or less (gain: the peak of the 5-point median above 0, or above the early minimum for a signed reward), the gain at least ${REWARD_GAIN_NOISE}x the noise, for 3 points`,
    test(r) {
      if (r.seen < 5) return null;
      const earlyMin = r.out("early_min");
      const floor = earlyMin >= 0 ? 0 : earlyMin;
      const peak = r.out("peak5");
      const now = r.out("median5");
      const gain = peak - floor;
      const noise = r.out("scale");
      const quantum = r.out("quantum");
      if (!(gain > 0) || !(gain >= REWARD_GAIN_NOISE * noise) || !(gain >= 3 * quantum)) return null;
      if (!(now <= floor + REWARD_KEPT * gain)) return null;
      return {
        score: gain / Math.max(now - floor, gain * 1e-3),
        direction: "down",
        reason: `5-point median ${f(now)} keeps ${f((now - floor) / gain)} of its peak gain ${f(peak)} (floor ${f(floor)})`,
      };
    },
  },
  {
    id: "advantages_not_centred",
    signals: ["group.adv_center_abs_mean"],
    persistence: 3,
    doc: `mean |mean advantage| per group at ${CENTRE_SHARE} of the advantages' spread or more, for 3 points: group-relative advantages (GRPO, RLOO, DAPO) are centred per group by construction; needs the tensor's group and advantage columns`,
    test(r, other) {
      const spread = other("advantage.std")?.value ?? NaN;
      if (!(spread > 0) || !(r.value >= CENTRE_SHARE * spread)) return null;
      return {
        score: r.value / spread,
        direction: "up",
        reason: `${f(r.value)} against an advantage spread of ${f(spread)}`,
      };
    },
  },
  {
    id: "advantage_sign_flipped",
    signals: ["corr.advantage_reward"],
    persistence: 3,
    doc: `correlation of advantage with reward at ${FLIPPED_CORR} or less, for 3 points: better rollouts are being pushed down`,
    test(r) {
      if (!(r.value <= FLIPPED_CORR)) return null;
      return { score: -r.value, direction: "down", reason: `correlation ${f(r.value)}` };
    },
  },
  {
    id: "length_cap_binding",
    signals: ["trunc.reward_gap"],
    persistence: 3,
    doc: `at least ${CAP_TRUNCATED} of the rollouts truncated (5-point median), and the truncated ones scoring lower than the rest by ${CAP_GAP_SPREAD} of the step's reward spread or more, for 3 points: the length cap cuts off answers that would have scored (needs the tensor's truncated and reward columns); seen from step 0, where a run's own history cannot help`,
    test(r, other) {
      // The share truncated, as its 5-point median: a cap that binds now and then is not one that binds.
      const truncated = other("rate.truncation")?.out("median5") ?? NaN;
      const spread = other("reward.std")?.value ?? NaN;
      if (!(truncated >= CAP_TRUNCATED) || !(spread > 0) || !(r.value >= CAP_GAP_SPREAD * spread)) return null;
      return {
        score: r.value / spread,
        direction: "up",
        reason: `${f(truncated)} of rollouts truncated, scoring ${f(r.value)} below the rest (reward spread ${f(spread)})`,
      };
    },
  },
  {
    id: "groups_mix_prompts",
    signals: ["group.prompt_mismatch_share"],
    persistence: MIXED_PERSISTENCE,
    doc: `any group whose samples carry more than one prompt_id (group.prompt_mismatch_share > 0, over groups whose rows all have one), for ${MIXED_PERSISTENCE} points: the samples of one prompt are given to another prompt's group, so advantages compare answers to different questions; no threshold, since a group is one prompt by construction; needs the tensor's group and prompt_id columns; score: the share`,
    test(r) {
      if (!(r.value > 0)) return null;
      return {
        score: r.value,
        direction: "up",
        reason: `${f(r.value)} of groups hold samples of more than one prompt`,
      };
    },
  },
  {
    id: "logprob_gap",
    signals: ["logprob_gap.mean"],
    persistence: 3,
    doc: `mean |rollout - trainer log-prob| per token at ${LOGPROB_GAP} nats or more, for 3 points: the rollout engine is not sampling from the policy being trained (stale weights, a precision or sampler mismatch)`,
    test(r) {
      if (!(r.value >= LOGPROB_GAP)) return null;
      return { score: r.value / LOGPROB_GAP, direction: "up", reason: `${f(r.value)} nats per token` };
    },
  },
];

function shareOfEarly(r: SignalReading, share: number, what: string): Breach | null {
  const early = r.out("early_max");
  if (r.seen < 1 || !(early > 0) || !(r.value <= share * early)) return null;
  return {
    score: early / Math.max(r.value, early * 1e-6),
    direction: "down",
    reason: `${f(r.value)} is ${f(r.value / early)} of ${what} ${f(early)}`,
  };
}

function pinned(r: SignalReading, what: string): Breach | null {
  const now = r.out("median5");
  const early = r.out("early_max");
  if (r.seen < 5 || !(now >= PINNED) || !(early <= UNPINNED_EARLY)) return null;
  return {
    score: now / Math.max(early, 0.01),
    direction: "up",
    reason: `${f(now)} of ${what} (5-point median), ${f(early)} early`,
  };
}

/** Every signal an invariant reads: its own and the ones it compares with. */
export const INVARIANT_SIGNALS: readonly string[] = [
  ...new Set([...INVARIANTS.flatMap((i) => i.signals), "advantage.std", "rate.truncation", "reward.std"]),
];
