/**
 * What the library says back (docs/spec/verdicts.md, contract v1): per-step
 * verdicts, per-run summaries, the diagnosis entries they carry, and the
 * trainer-agnostic remediation actions.
 */
import type { Family, FaultId } from "./faults.js";

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
  /** The test and the numbers it used, in words (a compatible extension of verdicts.md). */
  reason?: string;
}

/**
 * Something out of line at one point that did not persist (a one-off spike
 * gone at the next logged point, a single non-finite value): reported, never
 * an alarm (a compatible extension of verdicts.md).
 */
export interface Note {
  signal: string;
  kind: "one_off" | "nonfinite";
  direction: "up" | "down";
  /** The value, when finite (a non-finite one is named in `reason`: JSON cannot hold it). */
  value?: number;
  reason: string;
}

/** A diagnosis entry of verdicts.md, plus the estimated onset step. */
export interface Diagnosis {
  fault: FaultId;
  family: Family;
  confidence: number;
  evidence: string[];
  onset?: number;
}

/** The per-step verdict (verdicts.md), with compatible extensions. */
export interface Verdict {
  run: string;
  step: number;
  anomalous: boolean;
  anomalies: Anomaly[];
  diagnosis: Diagnosis[];
  actions: Action[];
  /** Advise mode: what the policy would have done. */
  recommendations?: Action[];
  /** The policy's decisions at this step, each with its reason. */
  decisions?: { kind: string; reason: string }[];
  /** One-offs at this step: out of line once, not an alarm. */
  notes?: Note[];
  /** First verdict of a run: the watched signals it did not report (less power, named). */
  lacking?: string[];
  /** Problems inside the monitor or with the input; the verdict is still well-formed. */
  errors?: string[];
}

/** The per-run summary of verdicts.md (`rftfm scan --json`), with compatible extensions. */
export interface RunSummary {
  run: string;
  steps: number;
  alarm: boolean;
  first_alarm_step: number | null;
  diagnosis: Diagnosis[];
  actions: Action[];
  /** Watched signals the run never reported. */
  lacking: string[];
}
