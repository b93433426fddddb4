/**
 * What the library says back (shared/spec/verdicts.md, contract v1): per-step
 * verdicts, per-run summaries, and the trainer-agnostic remediation actions.
 */

/** A trainer action. A trainer adapter applies it and reports back with an `event` record. */
export type Action =
  /** Restore the last checkpoint at or before `to_step`. */
  | { kind: "rollback"; to_step: number }
  /** Multiply the learning rate. */
  | { kind: "scale_lr"; factor: number }
  /** Set a hyperparameter: `kl_coef`, `entropy_coef`, `temperature`, `max_response_length`, `grad_clip`, `clip_eps`, ... */
  | { kind: "set_hparam"; name: string; value: number }
  /** Drop zero-variance groups from the loss (dynamic sampling). */
  | { kind: "filter_groups"; mode: string }
  /** Discard the current batch's update. */
  | { kind: "skip_batch" }
  /** Push the trainer's weights to the rollout engine now. */
  | { kind: "resync_weights" }
  /** Restart failed rollout workers (and the tool services they host). */
  | { kind: "restart_workers" }
  /** Stop sampling these prompts. */
  | { kind: "quarantine_prompts"; prompt_ids: number[] }
  /** Stop the run: a human must act. */
  | { kind: "halt"; reason: string }
  /** Tell a human; change nothing. */
  | { kind: "alert"; message: string };

export type ActionKind = Action["kind"];

export const ACTION_KINDS: readonly ActionKind[] = [
  "rollback",
  "scale_lr",
  "set_hparam",
  "filter_groups",
  "skip_batch",
  "resync_weights",
  "restart_workers",
  "quarantine_prompts",
  "halt",
  "alert",
];

/** Something a detector found out of line at a step: which signal, how far (|z| or a count), which way, and who saw it. */
export interface Anomaly {
  signal: string;
  score: number;
  direction: "up" | "down";
  detector: string;
}
