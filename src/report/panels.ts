/**
 * Which curves a run's report draws: the headline panels every RFT tracker
 * shows (reward, correctness, KL, entropy, grad norm, length, clip fraction,
 * tool errors), each fed by the step metric of telemetry.md and by the
 * trajectory-tensor feature that measures the same thing, whichever the run
 * logged; then one panel per other signal that the detectors found out of line
 * (the signals that moved).
 */
import type { SignalName } from "../verdict/signals.js";

export interface PanelSpec {
  id: string;
  title: string;
  /** Signals drawn in this panel, when the run logged them. */
  signals: readonly SignalName[];
}

export const HEADLINE_PANELS: readonly PanelSpec[] = [
  { id: "reward", title: "reward", signals: ["reward_mean", "reward.mean"] },
  { id: "correct", title: "correctness", signals: ["correct_mean", "correct.mean"] },
  { id: "kl", title: "KL", signals: ["kl_ref", "ppo_kl", "kl_ref.mean"] },
  { id: "entropy", title: "entropy", signals: ["entropy", "entropy_mean.mean"] },
  { id: "grad_norm", title: "grad norm", signals: ["grad_norm"] },
  { id: "length", title: "response length", signals: ["response_length_mean", "length.mean"] },
  { id: "clip_frac", title: "clip fraction", signals: ["clip_frac"] },
  { id: "tool_errors", title: "tool errors", signals: ["tool_error_rate", "rate.tool_error"] },
];

/** Every signal a headline panel draws. */
export const HEADLINE_SIGNALS: ReadonlySet<string> = new Set(HEADLINE_PANELS.flatMap((p) => p.signals));

/** At most this many panels of moved signals per run (the most deviant first). */
export const MAX_MOVED_PANELS = 12;
