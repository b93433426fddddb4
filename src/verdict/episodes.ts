/**
 * Alarm episodes as a reader of the verdict stream sees them, from the public
 * shapes alone (docs/spec/verdicts.md), so that the report and the alerts agree
 * on what an episode is and survive changes to the monitor's internals.
 *
 * An episode opens at an anomalous verdict when none is open, stays open while
 * the verdicts are anomalous or carry a diagnosis (the monitor keeps diagnosing
 * until the episode settles), and closes at the first verdict that is neither.
 * Within an episode, the best fault may change: that is a diagnosis change.
 */
import type { FaultId } from "./faults.js";
import type { Action, Diagnosis, Verdict } from "./types.js";

/** What one verdict changed for its run. */
export interface EpisodeChange {
  /** The episode this verdict opened (its first step), if it opened one. */
  opened?: number;
  /** The last step of the episode this verdict closed, if it closed one (the verdict itself is quiet). */
  closed?: { start: number; end: number };
  /** The best fault now, and what it was before in this episode (null: no diagnosis yet). */
  diagnosisChanged?: { from: FaultId | null; to: FaultId; diagnosis: Diagnosis[] };
  /** Actions taken at this step, and those only recommended (advise mode). */
  actions: Action[];
  recommendations: Action[];
}

interface RunEpisodeState {
  /** First step of the open episode, or null. */
  open: number | null;
  /** Last step seen in the open episode. */
  last: number;
  /** Best fault of the open episode so far. */
  best: FaultId | null;
}

/** Follows each run's verdicts and says, per verdict, what it opened, closed, changed and did. */
export class EpisodeTracker {
  private readonly runs = new Map<string, RunEpisodeState>();

  observe(verdict: Verdict): EpisodeChange {
    let state = this.runs.get(verdict.run);
    if (!state) {
      state = { open: null, last: verdict.step, best: null };
      this.runs.set(verdict.run, state);
    }
    const change: EpisodeChange = { actions: verdict.actions, recommendations: verdict.recommendations ?? [] };
    const active = verdict.anomalous || verdict.diagnosis.length > 0;
    if (state.open !== null && !active) {
      change.closed = { start: state.open, end: state.last };
      state.open = null;
      state.best = null;
    } else if (state.open === null && verdict.anomalous) {
      state.open = verdict.step;
      state.best = null;
      change.opened = verdict.step;
    }
    if (state.open !== null) {
      state.last = verdict.step;
      const best = verdict.diagnosis[0]?.fault;
      if (best !== undefined && best !== state.best) {
        change.diagnosisChanged = { from: state.best, to: best, diagnosis: verdict.diagnosis };
        state.best = best;
      }
    }
    return change;
  }

  /** The first step of the run's open episode, or null. */
  openEpisode(run: string): number | null {
    return this.runs.get(run)?.open ?? null;
  }

  /** Forgets a run's state (a run that is over, or replayed from the start). */
  forget(run: string): void {
    this.runs.delete(run);
  }
}
