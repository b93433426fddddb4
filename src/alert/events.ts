/**
 * What is worth telling a person while a run trains: a new alarm episode, a
 * change of the best diagnosis within an episode, and the actions taken (or,
 * in advise mode, recommended) at a step. Read from the verdict stream alone
 * (episodes.ts), so that any front end (scan, watch, a future serve) raises
 * the same alerts.
 */
import { EpisodeTracker } from "../verdict/episodes.js";
import type { Action, Anomaly, Diagnosis, Verdict } from "../verdict/types.js";
import { describeAction, describeAnomalies } from "../verdict/words.js";

export type AlertKind = "alarm" | "diagnosis" | "action";

export interface AlertEvent {
  kind: AlertKind;
  run: string;
  step: number;
  /** One line for a person. */
  text: string;
  /** First step of the episode the event belongs to (null: an action outside an episode). */
  episode_start: number | null;
  anomalies: Anomaly[];
  /** The ranked diagnosis at this step (the best three). */
  diagnosis: Diagnosis[];
  /** `diagnosis` events: the best fault before (null: none yet). */
  previous_fault?: string | null;
  actions: Action[];
  recommendations: Action[];
}

const best = (d: readonly Diagnosis[]) =>
  d.length ? `${d[0].fault} (${d[0].family}, confidence ${d[0].confidence.toFixed(2)})` : "none yet";

/** Turns each run's verdicts into the alert events they raise, in order. */
export class AlertEvents {
  private readonly tracker = new EpisodeTracker();

  observe(verdict: Verdict): AlertEvent[] {
    const change = this.tracker.observe(verdict);
    const { run, step } = verdict;
    const episode = this.tracker.openEpisode(run);
    const base = {
      run,
      step,
      episode_start: episode,
      anomalies: verdict.anomalies,
      diagnosis: verdict.diagnosis.slice(0, 3),
      actions: verdict.actions,
      recommendations: verdict.recommendations ?? [],
    };
    const events: AlertEvent[] = [];
    if (change.opened !== undefined) {
      events.push({
        ...base,
        kind: "alarm",
        text:
          `rftfm: run ${run}: alarm at step ${step}: ${describeAnomalies(verdict.anomalies)}` +
          `; diagnosis ${best(verdict.diagnosis)}`,
      });
    } else if (change.diagnosisChanged) {
      const { from } = change.diagnosisChanged;
      const evidence = verdict.diagnosis[0]?.evidence[0];
      events.push({
        ...base,
        kind: "diagnosis",
        previous_fault: from,
        text:
          `rftfm: run ${run}: diagnosis at step ${step}: ${best(verdict.diagnosis)}, was ${from ?? "none"}` +
          (evidence ? `; ${evidence}` : ""),
      });
    }
    if (change.actions.length || change.recommendations.length) {
      const parts = [];
      if (change.actions.length) parts.push(`actions ${change.actions.map(describeAction).join("; ")}`);
      if (change.recommendations.length)
        parts.push(`recommended ${change.recommendations.map(describeAction).join("; ")}`);
      events.push({ ...base, kind: "action", text: `rftfm: run ${run}: step ${step}: ${parts.join("; ")}` });
    }
    return events;
  }
}
