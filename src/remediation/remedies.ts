/**
 * The remedy table: what to do first (ladder level 0, "adjust") for each fault
 * of the taxonomy. The rows follow what practitioners do when a GRPO/PPO run
 * goes wrong (shared/research/rft-telemetry.md: roll back and lower the LR,
 * restore the KL coefficient, reset the sampling settings, resync weights,
 * filter zero-variance groups, restart workers, fix the verifier by hand).
 *
 * The table is data, not code, so it can be read, tested and documented
 * (docs/remediation.md) as one thing. Hyperparameter values are never guessed:
 * a `set_hparam` step takes its value from the known-good reference the
 * trainer adapter supplies, and a plan whose reference is missing falls back to
 * the next plan of the row.
 */

import type { FaultId } from "../verdict/faults.js";
import type { Action, ActionKind } from "../verdict/types.js";

/** One step of a remedy: an action, or a `set_hparam` whose value comes from the reference. */
export type RemedyStep =
  | Exclude<Action, { kind: "set_hparam" }>
  | { kind: "set_hparam"; name: string; value: number | "reference" };

export interface Remedy {
  /** One line: why this is the first thing to try. */
  why: string;
  /**
   * A broken reward or pipeline code: no trainer action can fix it, so the
   * policy rolls back to before the onset and halts at once.
   */
  human: boolean;
  /** Alternatives, best first: the first plan whose references are known and whose kinds are allowed is used. */
  plans: readonly (readonly RemedyStep[])[];
}

const reference = (name: string): RemedyStep => ({ kind: "set_hparam", name, value: "reference" });
const scaleLr = (factor: number): RemedyStep => ({ kind: "scale_lr", factor });
const alert = (message: string): RemedyStep => ({ kind: "alert", message });
const noReference = (fault: FaultId, name: string) =>
  alert(`${fault}: set ${name} back to its known-good value (the trainer adapter supplied none)`);

/** Level 0 ("adjust") per fault. Rows needing a human halt instead (see `human`). */
export const REMEDIES: Readonly<Record<FaultId, Remedy>> = {
  lr_too_high: {
    why: "the LR is far too large: restore the known-good LR (halve it without a reference; practitioners lower the LR, then roll back if that is not enough)",
    human: false,
    plans: [[reference("lr")], [scaleLr(0.5)]],
  },
  kl_penalty_off: {
    why: "the KL penalty is off or tiny: restore the known-good kl_coef",
    human: false,
    plans: [[reference("kl_coef")], [noReference("kl_penalty_off", "kl_coef")]],
  },
  temperature_misconfigured: {
    why: "sampling temperature is off nominal: reset it to the known-good value",
    human: false,
    plans: [[reference("temperature")], [noReference("temperature_misconfigured", "temperature")]],
  },
  length_truncation: {
    why: "the response cap truncates answers: put max_response_length back to the known-good cap",
    human: false,
    plans: [[reference("max_response_length")], [noReference("length_truncation", "max_response_length")]],
  },
  rollout_policy_mismatch: {
    why: "the rollout engine samples with stale weights: push the trainer weights now",
    human: false,
    plans: [[{ kind: "resync_weights" }]],
  },
  gradient_explosion: {
    why: "gradients blow up: restore gradient clipping and halve the LR (halve the LR alone without a clip reference)",
    human: false,
    plans: [[reference("grad_clip"), scaleLr(0.5)], [scaleLr(0.5)]],
  },
  nan_inf: {
    why: "non-finite values: discard this batch's update (a rollback to the last good state is level 1)",
    human: false,
    plans: [[{ kind: "skip_batch" }]],
  },
  difficulty_skew: {
    why: "batches lose reward variance: drop zero-variance groups (DAPO dynamic sampling)",
    human: false,
    plans: [[{ kind: "filter_groups", mode: "zero_variance" }]],
  },
  reward_noise: {
    why: "noisy rewards: halve the LR so the noise moves the policy less",
    human: false,
    plans: [[scaleLr(0.5)]],
  },
  tool_failure: {
    why: "tool calls fail: restart the workers that host the tool services",
    human: false,
    plans: [[{ kind: "restart_workers" }]],
  },
  worker_failure: {
    why: "a rollout worker died or stalls: restart the workers",
    human: false,
    plans: [[{ kind: "restart_workers" }]],
  },
  observation_corruption: {
    why: "corrupted prompts or observations: tell a human (the monitor cannot name the prompts to quarantine yet)",
    human: false,
    plans: [
      [
        alert(
          "observation_corruption: the environment feeds corrupted prompts or observations; check the data shard, the chat template and the tool output",
        ),
      ],
    ],
  },
  reward_hacking: {
    why: "the reward can be gamed: the reward must be fixed by a human",
    human: true,
    plans: [],
  },
  reward_parse_failure: {
    why: "the reward function stopped parsing answers: the verifier must be fixed by a human",
    human: true,
    plans: [],
  },
  group_misindexing: {
    why: "samples of one prompt are not grouped together: a pipeline bug for a human",
    human: true,
    plans: [],
  },
  advantage_misnormalization: {
    why: "advantages are computed wrongly: a code bug for a human",
    human: true,
    plans: [],
  },
};

/** The remedy chosen for a fault under a reference and the allowed kinds. */
export interface ResolvedRemedy {
  /** The allowed actions of the first usable plan; empty when no plan is usable. */
  actions: Action[];
  /** Actions the chosen plan (or a plan passed over for it) held that are not allowed. */
  dropped: Action[];
  /** References missing from the plans passed over, e.g. `["kl_coef"]`. */
  missing: string[];
}

/**
 * Picks the first plan of the fault's row whose references are all known
 * (finite numbers) and of which at least one action is allowed. Disallowed
 * actions are dropped from the chosen plan and reported, never replaced.
 */
export function resolveRemedy(
  fault: FaultId,
  references: Readonly<Record<string, number>>,
  allowed: ReadonlySet<ActionKind>,
): ResolvedRemedy {
  const dropped: Action[] = [];
  const missing: string[] = [];
  for (const plan of REMEDIES[fault].plans) {
    const actions: Action[] = [];
    let usable = true;
    for (const step of plan) {
      if (step.kind === "set_hparam" && step.value === "reference") {
        const value = Object.hasOwn(references, step.name) ? references[step.name] : undefined;
        if (typeof value !== "number" || !Number.isFinite(value)) {
          missing.push(step.name);
          usable = false;
          break;
        }
        actions.push({ kind: "set_hparam", name: step.name, value });
      } else {
        actions.push({ ...step } as Action);
      }
    }
    if (!usable) continue;
    const kept = actions.filter((a) => allowed.has(a.kind));
    const lost = actions.filter((a) => !allowed.has(a.kind));
    dropped.push(...lost);
    if (kept.length > 0) return { actions: kept, dropped, missing };
  }
  return { actions: [], dropped, missing };
}
