/**
 * The report's data (`rftfm report --json`, and what the HTML page draws):
 * per run its curves, alarm episodes, onsets, actions and diagnosis, in the
 * public shapes of docs/spec/verdicts.md. docs/report.md describes each field.
 */
import type { Action, Anomaly, Diagnosis, RunSummary } from "../verdict/types.js";
import type { CurvePoints } from "./envelope.js";

export const REPORT_VERSION = 1;

export interface ReportData {
  kind: "rftfm_report";
  version: typeof REPORT_VERSION;
  /** When the report was built (ISO 8601). */
  generated_at: string;
  /** What it was built from (files, directories), as given. */
  sources: string[];
  /** The most points a curve keeps; longer runs are downsampled to their min/max envelope. */
  max_points: number;
  /** Whether any curve of any run is downsampled. */
  downsampled: boolean;
  runs: RunReport[];
  /** The ingest report's summary (lines read, what was skipped), when the report was built from logs. */
  ingest?: string;
  /** The monitor's backend. */
  backend?: string;
}

export interface RunReport {
  run: string;
  /** The monitor's run summary (verdicts.md). */
  summary: RunSummary;
  /** Steps judged, and the first and last. */
  steps: { count: number; first: number | null; last: number | null };
  /** Whether some curve of this run is downsampled, and its widest bucket in steps. */
  downsampled: boolean;
  bucket_steps: number;
  panels: Panel[];
  episodes: EpisodeReport[];
  /** Actions taken and recommended, by step. */
  marks: ActionMark[];
  /** Marks and episodes left out past the per-run bounds. */
  dropped: { marks: number; episodes: number };
  /** Headline panels the run logged none of the signals for. */
  not_logged: { panel: string; signals: string[] }[];
  /** Problems inside the monitor or with the input (verdict `errors`), the first few, and how many there were. */
  errors: { step: number; message: string }[];
  error_count: number;
}

export interface Panel {
  id: string;
  title: string;
  /** `headline`: one of the panels every report shows; `moved`: a signal the detectors found out of line. */
  kind: "headline" | "moved";
  series: Series[];
}

export interface Series extends CurvePoints {
  signal: string;
  /** Steps per point (1: every step as logged). */
  bucket_steps: number;
}

export interface EpisodeReport {
  /** First and last step of the episode (the last verdict that was anomalous or diagnosing). */
  start: number;
  end: number;
  /** Still open at the last step judged. */
  open: boolean;
  /** Estimated onset of the fault (the best diagnosis entry's `onset`). */
  onset: number | null;
  /** The signals out of line in the episode, most deviant first, with the step each first was. */
  anomalies: (Anomaly & { step: number })[];
  /** The episode's latest diagnosis (ranked, best first). */
  diagnosis: Diagnosis[];
  /** Each change of the best fault, in order. */
  diagnosis_changes: { step: number; fault: string; confidence: number }[];
  /** Panels the episode's signals and evidence refer to, the first being where its diagnosis is shown. */
  panels: string[];
}

export interface ActionMark {
  step: number;
  /** `action`: taken; `recommendation`: advise mode's would-have-done. */
  kind: "action" | "recommendation";
  action: Action;
  text: string;
  reason?: string;
}
