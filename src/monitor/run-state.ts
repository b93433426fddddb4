/**
 * What the monitor keeps per run between steps: the recent history of every
 * signal (for the diagnosis rules), the open alarm episode (the deviation
 * vector being averaged for fingerprint matching), the run's summary so far
 * and the checkpoints the trainer reported. Plain data, so a snapshot is JSON.
 */

import { type DetectState, decodeDetectState, encodeDetectState, newDetectState } from "../detect/stage.js";
import type { Action, Diagnosis } from "../verdict/types.js";
import { newClock, type RunClock } from "./clock.js";

/** Steps of history kept per run beyond the averaging window (the rules look a few steps before the alarm). */
export const HISTORY_BEFORE_ALARM = 8;

export interface HistoryEntry {
  step: number;
  /** Per signal, as read (NaN: not reported). */
  values: number[];
  /** Per signal, the standardized deviation from healthy the rules read (monitor.ts `evidenceZ`; NaN: unknown). */
  z: number[];
}

export interface Episode {
  /** First anomalous step. */
  alarmStep: number;
  /** Per signal: sum and count of clipped deviations over the first `window` steps. */
  sums: number[];
  counts: number[];
  /** Steps averaged so far (at most `window`). */
  steps: number;
  /** Signals (indices) that were out of line at some step of the episode: what recovery is judged on. */
  signals: number[];
  /**
   * Per signal, the run's own baseline before the alarm (level and scale in
   * noise units; NaN: none): recovery means coming back to it, also after an
   * action started the run's own detectors over.
   */
  refLevel: number[];
  refScale: number[];
  /** Non-anomalous steps in a row since the last anomalous one. */
  quiet: number;
  /** The step the persisting change that raised the alarm began at (the detect stage's count of points back), when known. */
  began?: number;
  diagnosis: Diagnosis[];
}

export interface RunState {
  /** The run's key in the detector bank. */
  key: number;
  /** Steps observed (the prior's bucket of the next step). */
  observed: number;
  /** Steps in a row with a signal out of line against the prior. */
  streak: number;
  /** Per signal: the CUSUM of |z| against the prior (DetectionSettings.prior_cusum). */
  priorSums: number[];
  /** Per signal: reported at any step so far. */
  reported: boolean[];
  history: HistoryEntry[];
  episode: Episode | null;
  firstAlarm: number | null;
  /** Settled diagnosis of the first alarm episode (what the run summary reports). */
  diagnosis: Diagnosis[];
  /** The first episode's deviation vector (mean clipped deviation per signal; NaN: no data), what its diagnosis matched. */
  firstVector: number[] | null;
  /** Every action (or recommendation, when advising) issued for the run. */
  actions: Action[];
  /** The run's steps as the policy counts them, and the checkpoints the trainer reported. */
  clock: RunClock;
  /** The zero-shot detect stage's state (trend streams, invariant persistence). */
  detect: DetectState;
}

/** `detected`: how many signals the detect stage reads (the watched ones and its own). */
export function newRunState(key: number, signals: number, detected: number): RunState {
  return {
    key,
    observed: 0,
    streak: 0,
    priorSums: new Array<number>(signals).fill(0),
    reported: new Array<boolean>(signals).fill(false),
    history: [],
    episode: null,
    firstAlarm: null,
    diagnosis: [],
    firstVector: null,
    actions: [],
    clock: newClock(),
    detect: newDetectState(detected),
  };
}

/** JSON cannot hold NaN or Infinity: numbers in snapshots go through these. */
export function encodeNumbers(xs: readonly number[]): (number | string)[] {
  return xs.map((x) => (Number.isFinite(x) ? x : String(x)));
}
export function decodeNumbers(xs: readonly (number | string)[]): number[] {
  return xs.map((x) => (typeof x === "number" ? x : Number(x)));
}

/** The episode's per-signal arrays that may hold NaN (no data, no baseline yet). */
const EPISODE_NUMBERS = ["sums", "refLevel", "refScale"] as const;

/** A snapshot's data as decoded JSON, checked against its schema (snapshot.ts) before it is decoded here. */
// biome-ignore lint/suspicious/noExplicitAny: the snapshot is JSON the monitor wrote; its fields are read by name
type SnapshotData = any;

function mapEpisodeNumbers(episode: SnapshotData, map: (xs: SnapshotData[]) => unknown[]): SnapshotData {
  const out = { ...episode };
  for (const key of EPISODE_NUMBERS) out[key] = map(episode[key]);
  return out;
}

/** A run state as JSON-safe data. */
export function encodeRunState(state: RunState): unknown {
  return {
    ...state,
    history: state.history.map((h) => ({ step: h.step, values: encodeNumbers(h.values), z: encodeNumbers(h.z) })),
    episode: state.episode && mapEpisodeNumbers(state.episode, encodeNumbers),
    firstVector: state.firstVector && encodeNumbers(state.firstVector),
    detect: encodeDetectState(state.detect),
  };
}

export function decodeRunState(data: SnapshotData, signals: number, detected: number): RunState {
  return {
    ...data,
    history: data.history.map((h: SnapshotData) => ({
      step: h.step,
      values: decodeNumbers(h.values),
      z: decodeNumbers(h.z),
    })),
    episode: data.episode && mapEpisodeNumbers(data.episode, decodeNumbers),
    firstVector: data.firstVector && decodeNumbers(data.firstVector),
    detect: decodeDetectState(data.detect, detected),
  };
}
