/**
 * What the policy reads at each step, and how garbage is read. The policy runs
 * inside a training loop: a bad number from the monitor must never crash it,
 * so every field is checked here and a bad value becomes "no information"
 * (an unknown fault id or a NaN confidence drops that diagnosis, a NaN
 * threshold keeps the last good one, ...). The one exception is the
 * deviation: NaN or Infinity there means the run itself produced non-finite
 * data, which is information.
 */
import { type FaultId, isFaultId } from "../verdict/faults.js";

export interface DiagnosisEntry {
  fault: string;
  family: string;
  confidence: number;
  onset?: number | null;
}

export interface PolicyInput {
  run: string;
  step: number;
  /** The monitor raised an alarm at this step. */
  anomalous: boolean;
  /** Ranked, best first. */
  diagnosis: readonly DiagnosisEntry[];
  /** How far the run is from healthy now: the largest |z| over the signals (>= 0; NaN or Infinity: non-finite data seen). */
  deviation: number;
  /** The |z| at which the monitor alarms. */
  threshold: number;
  /** Steps of the checkpoints the trainer reported, ascending (any order is read; negative or non-finite steps are ignored). */
  checkpoints: readonly number[];
  /** Logged points of the run before this one (unknown when left out): a run with little history gets an alert, never a fix. */
  history?: number;
}

/** A diagnosis the policy can use: a known fault id and a confidence in [0, 1]. */
export interface Diagnosed {
  fault: FaultId;
  confidence: number;
  /** Estimated onset step, null when unknown or not credible. */
  onset: number | null;
}

/** A checked input. `deviation` is null when unknown; `nonFinite` when the run reported NaN/Infinity. */
export interface CleanInput {
  run: string;
  step: number;
  anomalous: boolean;
  diagnosis: Diagnosed[];
  deviation: number | null;
  nonFinite: boolean;
  threshold: number | null;
  checkpoints: number[];
  history: number | null;
}

const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/** Checks an input; null when it says nothing usable (no run name or no finite step). Never throws. */
export function cleanInput(input: unknown): CleanInput | null {
  try {
    if (input === null || typeof input !== "object") return null;
    const raw = input as Record<string, unknown>;
    const run = raw.run;
    const step = raw.step;
    if (typeof run !== "string" || !finite(step)) return null;
    const deviation = raw.deviation;
    const nonFinite = typeof deviation === "number" && !Number.isFinite(deviation);
    const threshold = raw.threshold;
    return {
      run,
      step,
      anomalous: raw.anomalous === true,
      diagnosis: cleanDiagnosis(raw.diagnosis, step),
      deviation: finite(deviation) && deviation >= 0 ? deviation : null,
      nonFinite,
      threshold: finite(threshold) && threshold > 0 ? threshold : null,
      checkpoints: Array.isArray(raw.checkpoints)
        ? raw.checkpoints.filter((c): c is number => finite(c) && c >= 0)
        : [],
      history: finite(raw.history) && raw.history >= 0 ? raw.history : null,
    };
  } catch {
    // A hostile object (a throwing getter): no information.
    return null;
  }
}

function cleanDiagnosis(diagnosis: unknown, step: number): Diagnosed[] {
  if (!Array.isArray(diagnosis)) return [];
  const out: Diagnosed[] = [];
  for (const entry of diagnosis) {
    if (entry === null || typeof entry !== "object") continue;
    const { fault, confidence, onset } = entry as Record<string, unknown>;
    if (!isFaultId(fault) || !finite(confidence) || confidence < 0 || confidence > 1) continue;
    // An onset after the current step is not an estimate of the past: unknown.
    out.push({ fault, confidence, onset: finite(onset) && onset <= step ? onset : null });
  }
  return out;
}

/** The most confident usable diagnosis (the first of equals, the input being ranked), or null. */
export function bestDiagnosis(diagnosis: readonly Diagnosed[]): Diagnosed | null {
  let best: Diagnosed | null = null;
  for (const d of diagnosis) if (best === null || d.confidence > best.confidence) best = d;
  return best;
}

/**
 * The rollback target: the last checkpoint at or before `onset - 1` (before
 * `alarmStep` when the onset is unknown), so that the restored state predates
 * the fault; 0 (the initial weights) when no checkpoint is early enough.
 */
export function rollbackTarget(checkpoints: readonly number[], onset: number | null, alarmStep: number): number {
  const bound = onset !== null && onset <= alarmStep ? onset - 1 : alarmStep - 1;
  let target = 0;
  let found = false;
  for (const c of checkpoints) {
    if (c <= bound && (!found || c > target)) {
      target = c;
      found = true;
    }
  }
  return found ? target : 0;
}
