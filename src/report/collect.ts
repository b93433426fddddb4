/**
 * Collects what a report shows as the monitor judges steps: per run, each
 * signal's curve (bounded: envelope.ts), the alarm episodes (episodes.ts's
 * definition, from the verdicts alone), the actions, and the errors. It reads
 * only the public Verdict and RunSummary shapes, and the step's signal values
 * as a plain record (step metrics and trajectory features by name), so it does
 * not depend on how the monitor decides.
 */
import { EpisodeTracker } from "../verdict/episodes.js";
import type { RunSummary, Verdict } from "../verdict/types.js";
import { describeAction } from "../verdict/words.js";
import { Envelope } from "./envelope.js";
import { HEADLINE_PANELS, HEADLINE_SIGNALS, MAX_MOVED_PANELS } from "./panels.js";
import {
  type ActionMark,
  type EpisodeReport,
  type Panel,
  REPORT_VERSION,
  type ReportData,
  type RunReport,
  type Series,
} from "./types.js";

export interface CollectOptions {
  /** The most points one curve keeps (default 1000). */
  maxPoints?: number;
  /** Which signals to keep curves of (default: all given). Headline signals are always kept. */
  keep?: (signal: string) => boolean;
}

export const DEFAULT_MAX_POINTS = 1000;
/** Per run, at most this many action marks and episodes are kept (counted past it). */
const MAX_MARKS = 500;
const MAX_EPISODES = 200;
const MAX_ERRORS = 20;

interface EpisodeState extends Omit<EpisodeReport, "anomalies" | "panels"> {
  anomalies: Map<string, EpisodeReport["anomalies"][number]>;
}

interface RunState {
  series: Map<string, Envelope>;
  count: number;
  first: number | null;
  last: number | null;
  episodes: EpisodeState[];
  marks: ActionMark[];
  dropped: { marks: number; episodes: number };
  errors: { step: number; message: string }[];
  errorCount: number;
}

/** A step as the collector reads it: who, when, and whether the log sent it again. */
export interface CollectedStep {
  run: string;
  step: number;
  /** A step the log repeated (a resumed run): what was collected from it on is replaced. */
  revised?: boolean;
}

export class ReportCollector {
  private readonly runs = new Map<string, RunState>();
  private readonly tracker = new EpisodeTracker();
  readonly maxPoints: number;
  private readonly keep: (signal: string) => boolean;

  constructor(options: CollectOptions = {}) {
    this.maxPoints = options.maxPoints ?? DEFAULT_MAX_POINTS;
    const keep = options.keep ?? (() => true);
    this.keep = (signal) => HEADLINE_SIGNALS.has(signal) || keep(signal);
  }

  /** Records one judged step: its signal values (metrics and trajectory features by name) and its verdict. */
  observe(step: CollectedStep, values: Readonly<Record<string, number>>, verdict: Verdict): void {
    const state = this.stateOf(step.run);
    if (step.revised && state.last !== null && step.step <= state.last) this.truncate(step.run, state, step.step);
    state.count++;
    if (state.first === null || step.step < state.first) state.first = step.step;
    if (state.last === null || step.step > state.last) state.last = step.step;

    for (const [signal, value] of Object.entries(values)) {
      if (typeof value !== "number" || !this.keep(signal)) continue;
      let curve = state.series.get(signal);
      if (!curve) {
        curve = new Envelope(this.maxPoints);
        state.series.set(signal, curve);
      }
      curve.add(step.step, value);
    }

    if (verdict.errors?.length) {
      state.errorCount += verdict.errors.length;
      for (const message of verdict.errors)
        if (state.errors.length < MAX_ERRORS) state.errors.push({ step: verdict.step, message });
    }

    const change = this.tracker.observe(verdict);
    if (change.opened !== undefined) {
      if (state.episodes.length >= MAX_EPISODES) state.dropped.episodes++;
      else
        state.episodes.push({
          start: change.opened,
          end: change.opened,
          open: true,
          onset: null,
          anomalies: new Map(),
          diagnosis: [],
          diagnosis_changes: [],
        });
    }
    const episode = state.episodes[state.episodes.length - 1];
    if (change.closed && episode?.open) episode.open = false;
    if (episode?.open && this.tracker.openEpisode(step.run) === episode.start) {
      episode.end = verdict.step;
      for (const a of verdict.anomalies) {
        const seen = episode.anomalies.get(a.signal);
        if (!seen) episode.anomalies.set(a.signal, { ...a, step: verdict.step });
        else if (a.score > seen.score)
          Object.assign(seen, { score: a.score, direction: a.direction, detector: a.detector });
      }
      if (verdict.diagnosis.length) {
        episode.diagnosis = verdict.diagnosis;
        episode.onset = verdict.diagnosis[0].onset ?? episode.onset;
      }
      if (change.diagnosisChanged) {
        const best = change.diagnosisChanged.diagnosis[0];
        episode.diagnosis_changes.push({ step: verdict.step, fault: best.fault, confidence: best.confidence });
      }
    }

    const reason = verdict.decisions?.map((d) => d.reason).join("; ") || undefined;
    for (const [kind, actions] of [
      ["action", change.actions],
      ["recommendation", change.recommendations],
    ] as const) {
      for (const action of actions) {
        if (state.marks.length >= MAX_MARKS) {
          state.dropped.marks++;
          continue;
        }
        state.marks.push({ step: verdict.step, kind, action, text: describeAction(action), reason });
      }
    }
  }

  get runIds(): string[] {
    return [...this.runs.keys()];
  }

  /**
   * The report's data. `summaryOf` gives the monitor's summary of a run
   * (`Monitor.summary`); a run it does not know gets one built from the episodes.
   */
  build(
    summaryOf: (run: string) => RunSummary | undefined,
    about: Pick<ReportData, "sources"> & Partial<Pick<ReportData, "ingest" | "backend">> = { sources: [] },
  ): ReportData {
    const runs = [...this.runs].map(([run, state]) => this.runReport(run, state, summaryOf(run)));
    return {
      kind: "rftfm_report",
      version: REPORT_VERSION,
      generated_at: new Date().toISOString(),
      sources: about.sources,
      max_points: this.maxPoints,
      downsampled: runs.some((r) => r.downsampled),
      runs,
      ...(about.ingest !== undefined ? { ingest: about.ingest } : {}),
      ...(about.backend !== undefined ? { backend: about.backend } : {}),
    };
  }

  private stateOf(run: string): RunState {
    let state = this.runs.get(run);
    if (!state) {
      state = {
        series: new Map(),
        count: 0,
        first: null,
        last: null,
        episodes: [],
        marks: [],
        dropped: { marks: 0, episodes: 0 },
        errors: [],
        errorCount: 0,
      };
      this.runs.set(run, state);
    }
    return state;
  }

  /** A repeated step replaces what the run had from it on: curves, marks and episodes after it. */
  private truncate(run: string, state: RunState, step: number): void {
    for (const curve of state.series.values()) curve.truncateFrom(step);
    state.marks = state.marks.filter((m) => m.step < step);
    state.episodes = state.episodes.filter((e) => e.start < step);
    for (const e of state.episodes) {
      if (e.end >= step) e.end = step - 1;
      // The tracker starts the run afresh: an episode open before the repeat is over.
      e.open = false;
    }
    state.last = step - 1;
    this.tracker.forget(run);
  }

  private runReport(run: string, state: RunState, summary: RunSummary | undefined): RunReport {
    const headline: Panel[] = [];
    const notLogged: RunReport["not_logged"] = [];
    for (const spec of HEADLINE_PANELS) {
      const series = spec.signals.flatMap((s) => {
        const curve = state.series.get(s);
        return curve ? [this.series(s, curve)] : [];
      });
      if (series.length) headline.push({ id: spec.id, title: spec.title, kind: "headline", series });
      else notLogged.push({ panel: spec.title, signals: [...spec.signals] });
    }

    // The signals that moved: out of line in some episode, not already in a headline panel, most deviant first.
    const moved = new Map<string, number>();
    for (const e of state.episodes)
      for (const a of e.anomalies.values())
        if (!HEADLINE_SIGNALS.has(a.signal)) moved.set(a.signal, Math.max(moved.get(a.signal) ?? 0, score(a.score)));
    const movedPanels: Panel[] = [...moved]
      .sort((a, b) => b[1] - a[1])
      .slice(0, MAX_MOVED_PANELS)
      .map(([signal]) => {
        const curve = state.series.get(signal);
        return {
          id: `moved:${signal}`,
          title: signal,
          kind: "moved",
          series: curve ? [this.series(signal, curve)] : [],
        };
      });
    const panels = [...headline, ...movedPanels];

    const episodes: EpisodeReport[] = state.episodes.map((e) => {
      const anomalies = [...e.anomalies.values()].sort((a, b) => score(b.score) - score(a.score));
      return { ...e, anomalies, panels: panelsReferredTo(panels, anomalies, e.diagnosis) };
    });
    const widths = [...state.series.values()].map((c) => c.bucketWidth);
    const bucket = widths.length ? Math.max(...widths) : 1;
    return {
      run,
      summary: summary ?? fallbackSummary(run, state, episodes),
      steps: { count: state.count, first: state.first, last: state.last },
      downsampled: bucket > 1,
      bucket_steps: bucket,
      panels,
      episodes,
      marks: state.marks,
      dropped: state.dropped,
      not_logged: notLogged,
      errors: state.errors,
      error_count: state.errorCount,
    };
  }

  private series(signal: string, curve: Envelope): Series {
    return { signal, bucket_steps: curve.bucketWidth, ...curve.points() };
  }
}

/** A non-finite score (the nonfinite detector's) ranks above every finite one. */
function score(x: number): number {
  return Number.isNaN(x) ? 0 : x;
}

/**
 * The panels an episode speaks of: those drawing a signal that was out of line,
 * then those whose signals its evidence names; the first is where its diagnosis
 * is shown.
 */
function panelsReferredTo(
  panels: readonly Panel[],
  anomalies: readonly { signal: string }[],
  diagnosis: EpisodeReport["diagnosis"],
): string[] {
  const out: string[] = [];
  const add = (id: string) => {
    if (!out.includes(id)) out.push(id);
  };
  const panelOf = (signal: string) => panels.find((p) => p.series.some((s) => s.signal === signal));
  for (const a of anomalies) {
    const panel = panelOf(a.signal);
    if (panel) add(panel.id);
  }
  const evidence = diagnosis.flatMap((d) => d.evidence).join("\n");
  for (const panel of panels) if (panel.series.some((s) => mentions(evidence, s.signal))) add(panel.id);
  return out;
}

/** Whether `text` names `signal` as a word (not as part of a longer name). */
function mentions(text: string, signal: string): boolean {
  let from = 0;
  for (;;) {
    const i = text.indexOf(signal, from);
    if (i < 0) return false;
    const before = text[i - 1];
    // A name ends a sentence ("... kl_ref.") as well as at a space; "reward.mean" is not "reward".
    const after = text[i + signal.length];
    const ends = !isNameChar(after) || (after === "." && !isNameChar(text[i + signal.length + 1]));
    if (!isNameChar(before) && ends) return true;
    from = i + 1;
  }
}

function isNameChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_.]/.test(c);
}

/** A run the monitor has no summary for (it was let go of): what the episodes say. */
function fallbackSummary(run: string, state: RunState, episodes: readonly EpisodeReport[]): RunSummary {
  const first = episodes[0];
  return {
    run,
    steps: state.count,
    alarm: first !== undefined,
    first_alarm_step: first?.start ?? null,
    diagnosis: first?.diagnosis ?? [],
    actions: state.marks.map((m) => m.action),
    lacking: [],
  };
}
