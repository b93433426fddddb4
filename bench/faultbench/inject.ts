/**
 * How each fault acts inside the pipeline. A fault never edits logged numbers:
 * it changes a configuration value, the data, the reward function, the tool,
 * the grouping, the advantages, the gradients, the weight sync or the workers,
 * and the telemetry reports what then really happens.
 *
 * `FaultPlan` holds the fault's parameters at its severity; the trainer asks it
 * at each point of the step whether and how to interfere. Every question is
 * answered "no" before the onset step.
 */
import type { Random } from "../random.js";
import type { FaultId, Severity } from "./faults.js";

export interface FaultSpec {
  fault: FaultId;
  severity: Severity;
  onset: number;
}

/** Per-severity strengths: [subtle, moderate, severe]. */
const LEVEL: Record<Severity, number> = { subtle: 0, moderate: 1, severe: 2 };
const pick = <T>(severity: Severity, values: [T, T, T]): T => values[LEVEL[severity]];

/** Configuration faults: the value the run is (mis)configured with. */
export interface ConfigOverride {
  temperatureFactor?: number;
  maxResponseLength?: number;
  lrFactor?: number;
  klFactor?: number;
}

export class FaultPlan {
  /** Direction of a two-sided fault (temperature too low or too high; batches too easy or too hard). */
  readonly up: boolean;
  /** Prompt ids whose reference answers are wrong (reward_noise) or whose shard is corrupted (observation_corruption). */
  readonly badPrompts = new Set<number>();

  constructor(
    readonly spec: FaultSpec | null,
    seed: number,
    poolSize: number,
    rng: Random,
  ) {
    this.up = seed % 2 === 1;
    if (spec && (spec.fault === "reward_noise" || spec.fault === "observation_corruption")) {
      const share =
        spec.fault === "reward_noise" ? pick(spec.severity, [0.15, 0.3, 0.5]) : pick(spec.severity, [0.25, 0.5, 0.9]);
      for (let id = 0; id < poolSize; id++) if (rng.uniform() < share) this.badPrompts.add(id);
    }
  }

  /** Whether `fault` is injected and active at `step`. */
  active(fault: FaultId, step: number): boolean {
    return this.spec !== null && this.spec.fault === fault && step >= this.spec.onset;
  }

  private severity(): Severity {
    return this.spec!.severity;
  }

  /** Configuration faults change the run's settings from the first step. */
  config(): ConfigOverride {
    if (!this.spec) return {};
    const s = this.severity();
    switch (this.spec.fault) {
      case "temperature_misconfigured":
        return { temperatureFactor: this.up ? pick(s, [1.5, 2.0, 3.0]) : pick(s, [0.6, 0.4, 0.2]) };
      case "length_truncation":
        return { maxResponseLength: pick(s, [8, 7, 5]) };
      case "lr_too_high":
        return { lrFactor: pick(s, [4, 12, 40]) };
      case "kl_penalty_off":
        return { klFactor: pick(s, [0.2, 0.05, 0]) };
      default:
        return {};
    }
  }

  // --- data ---------------------------------------------------------------

  /** difficulty_skew: share of a step's prompts drawn from the easy (or hard) pool instead. */
  skewShare(step: number): number {
    return this.active("difficulty_skew", step) ? pick(this.severity(), [0.5, 0.8, 1.0]) : 0;
  }

  /** observation_corruption: whether this prompt's observations are garbled. */
  corrupts(step: number, promptId: number): boolean {
    return this.active("observation_corruption", step) && this.badPrompts.has(promptId);
  }

  // --- workers and tools --------------------------------------------------

  /** worker_failure: how many of the rollout workers are down. */
  deadWorkers(step: number, workers: number): number {
    if (!this.active("worker_failure", step)) return 0;
    return Math.max(1, Math.round(workers * pick(this.severity(), [0.125, 0.375, 0.75])));
  }

  /** tool_failure: probability that a calculator call fails. */
  toolFailureRate(step: number): number {
    return this.active("tool_failure", step) ? pick(this.severity(), [0.3, 0.65, 1.0]) : 0;
  }

  // --- reward -------------------------------------------------------------

  /** reward_noise: probability of flipping a reward (on top of the wrong reference answers). */
  rewardFlipRate(step: number): number {
    return this.active("reward_noise", step) ? pick(this.severity(), [0.05, 0.1, 0.2]) : 0;
  }

  /** reward_noise: whether this prompt's reference answer is wrong. */
  wrongReference(step: number, promptId: number): boolean {
    return this.active("reward_noise", step) && this.badPrompts.has(promptId);
  }

  /**
   * reward_hacking: share of reward workers running the lenient parser that
   * accepts the right number anywhere in the transcript (tool output included).
   */
  lenientParserShare(step: number): number {
    return this.active("reward_hacking", step) ? pick(this.severity(), [0.35, 0.7, 1.0]) : 0;
  }

  /** reward_parse_failure: probability that the parser fails on a response (reward 0). */
  parseFailureRate(step: number): number {
    return this.active("reward_parse_failure", step) ? pick(this.severity(), [0.35, 0.75, 1.0]) : 0;
  }

  // --- credit assignment --------------------------------------------------

  /** group_misindexing: share of samples given another prompt's group id. */
  misindexShare(step: number): number {
    return this.active("group_misindexing", step) ? pick(this.severity(), [0.3, 0.6, 1.0]) : 0;
  }

  /** advantage_misnormalization: which bug the advantage computation has. */
  advantageBug(step: number): "uncentred" | "scaled" | "flipped" | null {
    if (!this.active("advantage_misnormalization", step)) return null;
    return pick(this.severity(), ["uncentred", "scaled", "flipped"] as ["uncentred", "scaled", "flipped"]);
  }

  // --- optimisation -------------------------------------------------------

  /** gradient_explosion: loss scale of a bad batch (clipping off while it lasts), for a few steps after onset. */
  gradientBlowup(step: number): number {
    if (!this.active("gradient_explosion", step)) return 1;
    const lasting = pick(this.severity(), [1, 2, 3]);
    return step < this.spec!.onset + lasting ? pick(this.severity(), [30, 300, 3000]) : 1;
  }

  /** nan_inf: share of trajectories whose log-probabilities come out non-finite, and whether the guard lets them through. */
  nanTrajectories(step: number): { share: number; unguarded: boolean } {
    if (!this.active("nan_inf", step)) return { share: 0, unguarded: false };
    const s = this.severity();
    return { share: pick(s, [0.03, 0.12, 0.3]), unguarded: s === "severe" && step === this.spec!.onset };
  }

  // --- rollout engine -----------------------------------------------------

  /** rollout_policy_mismatch: whether the weight sync after this step happens. */
  syncs(step: number): boolean {
    if (!this.active("rollout_policy_mismatch", step)) return true;
    const s = this.severity();
    if (s === "severe") return false;
    if (s === "moderate") return (step - this.spec!.onset) % 6 === 5;
    return true;
  }

  /** rollout_policy_mismatch (subtle): mantissa bits the rollout engine keeps (nominal: 8, like bfloat16). */
  rolloutBits(step: number, nominal: number): number {
    return this.active("rollout_policy_mismatch", step) && this.severity() === "subtle" ? 3 : nominal;
  }
}
