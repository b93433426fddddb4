/**
 * The fingerprint file: everything the monitor learnt from labelled runs, in
 * one JSON document. `rftfm fingerprints learn` writes it; the package ships
 * one learnt from the train split of the fault benchmark's default corpus, all its setups (`fingerprints/default.json`).
 *
 * It holds, per signal (the vectors below are indexed like `signals`):
 * - `noise`: the healthy step-to-step noise of the signal, the scale its own
 *   running baseline is judged in (a run's own spread over a few steps is too
 *   noisy to standardize by);
 * - `prior`: what healthy runs look like at each point of training (center and
 *   scale per step bucket), so that a fault present from step 0 still stands out;
 * and per fault type a `centroid`: the mean direction of the deviation vector
 * (signed standardized deviations of every signal over the first steps of an
 * alarm) in the labelled runs of that fault.
 *
 * JSON has no NaN: a cell without reference (no healthy run logged the signal
 * at that point) is `null` in the file and NaN in memory.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DetectorOptions, PriorAccumulation } from "../backend/kernel.js";
import { packageRoot } from "../backend/package-root.js";
import { FAULT_FAMILIES, type Family, type FaultId, isFaultId } from "../verdict/faults.js";

export const FINGERPRINT_FORMAT = "rftfm-fingerprints";
export const FINGERPRINT_VERSION = 1;

/** How the monitor raises an alarm (learnt or chosen on the train split; see docs/monitor.md). */
export interface DetectionSettings {
  /** |z| against the healthy prior above which a signal is out of line. */
  prior_threshold: number;
  /** Steps in a row with a signal out of line against the prior before the alarm. */
  consecutive: number;
  /** Options of the core detector bank (the run's own running baseline, spikes, CUSUM, Page-Hinkley), in noise units. */
  bank: DetectorOptions;
  /** Standardized deviations are clipped to ±this in the deviation vector (a NaN or infinite value counts as +clip). */
  clip: number;
  /** Steps from the alarm over which the deviation vector is averaged; the diagnosis settles after them. */
  window: number;
  /**
   * The per-signal CUSUM of |z| against the prior (core `priorAccumulate`):
   * moderate deviations that last alarm when their excess over `k` adds up
   * beyond `h` (each step counting at most `clip`); null to leave it out.
   */
  prior_cusum: PriorAccumulation | null;
}

export interface Fingerprint {
  fault: FaultId;
  family: Family;
  /** Labelled runs of this fault that raised an alarm and were averaged. */
  runs: number;
  /** Unit-length mean deviation direction, one entry per signal (NaN: no data). */
  centroid: number[];
}

/**
 * The units of a deviation vector (and so of a set's centroids):
 * - `noise`: each signal against the run's own running baseline in the set's healthy
 *   step-to-step `noise`, or against the prior, whichever is larger. The noise is
 *   learnt on the set's own setup, so on another setup the same change reads larger or
 *   smaller per signal and the direction tilts. Sets without the field are in it.
 * - `trend`: each signal the trend detector judges (layout/trend.json) against the
 *   run's own trend line, in the run's own noise on its kind's scale (a log ratio for a
 *   magnitude, binomial noise of its trials for a share); nothing learnt on a setup
 *   enters it, so a set learnt on some setups ranks faults on another. The other
 *   signals (lr, losses, group spreads), and every signal the prior sees as further
 *   out, read as in `noise`.
 */
export const DEVIATION_UNITS = ["noise", "trend"] as const;
export type DeviationUnits = (typeof DEVIATION_UNITS)[number];

export interface FingerprintSet {
  format: typeof FINGERPRINT_FORMAT;
  version: typeof FINGERPRINT_VERSION;
  /** The units of the deviation vector its centroids were learnt in (absent: `noise`). */
  deviation?: DeviationUnits;
  /** Where it was learnt from (free-form, for people). */
  source: Record<string, unknown>;
  signals: string[];
  noise: number[];
  /** Healthy reference per signal and step bucket (bucket b = the run's b-th observed step; the last bucket covers the rest), or null. */
  prior: { buckets: number; center: number[][]; scale: number[][] } | null;
  detection: DetectionSettings;
  /** Per-signal weights of the similarity. */
  weights: number[];
  /** Softmax temperature turning similarities into confidences (fitted on the labelled runs). */
  temperature: number;
  fingerprints: Fingerprint[];
}

/** The alarm settings used when a set does not say (chosen on the benchmark's train split). */
export const DEFAULT_DETECTION: Readonly<DetectionSettings> = {
  prior_threshold: 8,
  consecutive: 2,
  bank: { warmup: 8, alpha: 0.1, spike: 12, cusum_h: 32, ph_lambda: 64, scale_floor: 1 },
  clip: 20,
  window: 5,
  prior_cusum: { k: 2, clip: 8, h: 20 },
};

/** Problems in a fingerprint file, naming the field. */
export class FingerprintSetError extends Error {
  constructor(source: string, field: string, problem: string) {
    super(`${source}: ${field}: ${problem}`);
    this.name = "FingerprintSetError";
  }
}

const nullToNaN = (v: number | null): number => (v === null ? NaN : v);

/** Checks a parsed document and turns its nulls into NaN; throws FingerprintSetError naming the field. */
/** A field of the parsed document, of any shape until checked. */
// biome-ignore lint/suspicious/noExplicitAny: each field is checked for its type before use, with the field named in the error
type JsonValue = any;

export function parseFingerprintSet(doc: unknown, source = "fingerprints"): FingerprintSet {
  const fail = (field: string, problem: string): never => {
    throw new FingerprintSetError(source, field, problem);
  };
  if (typeof doc !== "object" || doc === null) return fail("(document)", "not a JSON object");
  const d = doc as Record<string, JsonValue>;
  if (d.format !== FINGERPRINT_FORMAT)
    fail("format", `expected "${FINGERPRINT_FORMAT}", got ${JSON.stringify(d.format)}`);
  if (d.version !== FINGERPRINT_VERSION)
    fail("version", `expected ${FINGERPRINT_VERSION}, got ${JSON.stringify(d.version)}`);
  if (!Array.isArray(d.signals) || d.signals.length === 0 || !d.signals.every((s: unknown) => typeof s === "string")) {
    fail("signals", "expected a non-empty array of signal names");
  }
  const n = d.signals.length as number;
  // `check` judges every entry; without one, any number or null (NaN: no data) goes.
  const vector = (field: string, v: unknown, check?: (x: number) => boolean): number[] => {
    if (!Array.isArray(v) || v.length !== n) return fail(field, `expected ${n} numbers (one per signal)`);
    const out = v.map((x) => (x === null && !check ? NaN : x));
    out.forEach((x, i) => {
      if (typeof x !== "number" || !(check ? check(x) : true))
        fail(`${field}[${i}]`, `bad value ${JSON.stringify(v[i])}`);
    });
    return out as number[];
  };
  const noise = vector("noise", d.noise, (x) => x > 0 && Number.isFinite(x));
  const weights = vector("weights", d.weights, (x) => x >= 0 && Number.isFinite(x));
  let prior: FingerprintSet["prior"] = null;
  if (d.prior !== null && d.prior !== undefined) {
    const b = d.prior.buckets;
    if (!Number.isInteger(b) || b < 1) fail("prior.buckets", "expected an integer >= 1");
    const table = (field: string, rows: unknown) => {
      if (!Array.isArray(rows) || rows.length !== n) return fail(field, `expected ${n} rows (one per signal)`);
      return rows.map((row, s) => {
        if (!Array.isArray(row) || row.length !== b)
          return fail(`${field}[${s}]`, `expected ${b} values (one per bucket)`);
        return row.map(nullToNaN);
      });
    };
    prior = { buckets: b, center: table("prior.center", d.prior.center), scale: table("prior.scale", d.prior.scale) };
  }
  const det = { ...DEFAULT_DETECTION, ...(d.detection ?? {}) } as DetectionSettings;
  for (const key of ["prior_threshold", "consecutive", "clip", "window"] as const) {
    if (typeof det[key] !== "number" || !(det[key] > 0)) fail(`detection.${key}`, "expected a positive number");
  }
  const pc = det.prior_cusum;
  if (pc !== null) {
    const good = (x: unknown, min: number) => typeof x === "number" && Number.isFinite(x) && x >= min;
    if (typeof pc !== "object" || !good(pc.k, 0) || !good(pc.clip, Number.MIN_VALUE) || !good(pc.h, Number.MIN_VALUE)) {
      fail("detection.prior_cusum", "expected null or { k >= 0, clip > 0, h > 0 }");
    }
  }
  if (d.deviation !== undefined && !DEVIATION_UNITS.includes(d.deviation))
    fail("deviation", `expected one of ${DEVIATION_UNITS.join(", ")}, got ${JSON.stringify(d.deviation)}`);
  if (typeof d.temperature !== "number" || !(d.temperature > 0)) fail("temperature", "expected a positive number");
  if (!Array.isArray(d.fingerprints)) fail("fingerprints", "expected an array");
  const fingerprints = (d.fingerprints as JsonValue[]).map((f, i): Fingerprint => {
    // isFaultId, not `in`: "constructor" and the like are keys of every object.
    if (!isFaultId(f?.fault)) fail(`fingerprints[${i}].fault`, `unknown fault id ${JSON.stringify(f?.fault)}`);
    return {
      fault: f.fault,
      family: FAULT_FAMILIES[f.fault as FaultId],
      runs: Number(f.runs) || 0,
      centroid: vector(`fingerprints[${i}].centroid`, f.centroid),
    };
  });
  return {
    format: FINGERPRINT_FORMAT,
    version: FINGERPRINT_VERSION,
    ...(d.deviation !== undefined ? { deviation: d.deviation as DeviationUnits } : {}),
    source: typeof d.source === "object" && d.source ? d.source : {},
    signals: d.signals,
    noise,
    prior,
    detection: det,
    weights,
    temperature: d.temperature,
    fingerprints,
  };
}

/** Reads and checks a fingerprint file. */
export function readFingerprintSet(path: string): FingerprintSet {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new FingerprintSetError(path, "(document)", (err as Error).message);
  }
  return parseFingerprintSet(doc, path);
}

/** The set as JSON text (NaN written as null), stable and diff-friendly: one signal per line in the tables. */
export function formatFingerprintSet(set: FingerprintSet): string {
  const clean = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(6)) : null);
  const doc = {
    ...set,
    noise: set.noise.map(clean),
    weights: set.weights.map(clean),
    prior: set.prior && {
      buckets: set.prior.buckets,
      center: set.prior.center.map((r) => r.map(clean)),
      scale: set.prior.scale.map((r) => r.map(clean)),
    },
    fingerprints: set.fingerprints.map((f) => ({ ...f, centroid: f.centroid.map(clean) })),
  };
  return `${JSON.stringify(doc, null, 1)}\n`;
}

let defaultSet: FingerprintSet | undefined;

/** Path of the fingerprint set that ships with the package. */
export function defaultFingerprintPath(): string {
  return join(packageRoot(), "fingerprints", "default.json");
}

/** The shipped set (learnt from the train split of the fault benchmark's four setups), read once. */
export function defaultFingerprintSet(): FingerprintSet {
  defaultSet ??= readFingerprintSet(defaultFingerprintPath());
  return defaultSet;
}
