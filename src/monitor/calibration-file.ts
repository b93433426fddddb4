/**
 * The calibration file (docs/calibration.md): a setup's healthy prior and
 * noise, learnt by `calibrate` from a few unlabelled healthy runs of that
 * setup, for `new Monitor({ calibration })` and `--calibration`.
 *
 * Signals are named, not indexed by a fingerprint set's order: the monitor
 * matches them by name to the set it diagnoses with. Point of training is the
 * trainer's step number, bucketed by `prior.width` steps (the last bucket
 * covers every later step). JSON has no NaN: a cell without reference is
 * `null` in the file and NaN in memory.
 */
import { readFileSync } from "node:fs";
import type { FingerprintSet } from "./fingerprint-set.js";

export const CALIBRATION_FORMAT = "rftfm-calibration";
export const CALIBRATION_VERSION = 1;

export interface Calibration {
  format: typeof CALIBRATION_FORMAT;
  version: typeof CALIBRATION_VERSION;
  /** The files, run ids and steps used (free-form beyond that, e.g. `{ setup: "b" }`). */
  source: Record<string, unknown>;
  /** Runs used. */
  runs: number;
  /** Logged steps used, all runs together. */
  steps: number;
  signals: string[];
  /** Per signal: run-own step-to-step noise, pooled over the runs. */
  noise: number[];
  prior: {
    /** Steps per bucket: bucket = floor(step / width). */
    width: number;
    /** The last bucket covers every later step. */
    buckets: number;
    /** [signal][bucket], NaN = no reference. */
    center: number[][];
    scale: number[][];
  };
}

/** A calibration that was refused or a calibration file that is not one; the message names the run or the field. */
export class CalibrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CalibrationError";
  }
}

/** A field of the parsed document, of any shape until checked. */
// biome-ignore lint/suspicious/noExplicitAny: each field is checked for its type before use, with the field named in the error
type JsonValue = any;

/** Checks a parsed calibration document and turns its nulls into NaN; throws CalibrationError naming the field. */
export function parseCalibration(doc: unknown, source = "calibration"): Calibration {
  const fail = (field: string, problem: string): never => {
    throw new CalibrationError(`${source}: ${field}: ${problem}`);
  };
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return fail("(document)", "not a JSON object");
  const d = doc as Record<string, JsonValue>;
  if (d.format !== CALIBRATION_FORMAT)
    fail("format", `expected "${CALIBRATION_FORMAT}", got ${JSON.stringify(d.format)}`);
  if (d.version !== CALIBRATION_VERSION)
    fail("version", `expected ${CALIBRATION_VERSION}, got ${JSON.stringify(d.version)}`);
  const count = (field: string, v: unknown, min: number): number =>
    Number.isSafeInteger(v) && (v as number) >= min ? (v as number) : fail(field, `expected an integer >= ${min}`);
  const runs = count("runs", d.runs, 1);
  const steps = count("steps", d.steps, 1);
  if (!Array.isArray(d.signals) || d.signals.length === 0 || !d.signals.every((s: unknown) => typeof s === "string")) {
    fail("signals", "expected a non-empty array of signal names");
  }
  const signals = d.signals as string[];
  const twice = signals.find((s, i) => signals.indexOf(s) !== i);
  if (twice !== undefined) fail("signals", `${JSON.stringify(twice)} is listed twice`);
  const n = signals.length;
  if (!Array.isArray(d.noise) || d.noise.length !== n) fail("noise", `expected ${n} numbers (one per signal)`);
  const noise = (d.noise as unknown[]).map((x, i) =>
    typeof x === "number" && Number.isFinite(x) && x > 0 ? x : fail(`noise[${i}]`, `bad value ${JSON.stringify(x)}`),
  );
  const p = d.prior;
  if (typeof p !== "object" || p === null) fail("prior", "expected { width, buckets, center, scale }");
  const width = count("prior.width", p.width, 1);
  const buckets = count("prior.buckets", p.buckets, 1);
  const table = (field: string, rows: unknown, good: (x: number) => boolean): number[][] => {
    if (!Array.isArray(rows) || rows.length !== n) return fail(field, `expected ${n} rows (one per signal)`);
    return rows.map((row, s) => {
      if (!Array.isArray(row) || row.length !== buckets)
        return fail(`${field}[${s}]`, `expected ${buckets} values (one per bucket)`);
      return row.map((x, b) =>
        x === null
          ? NaN
          : typeof x === "number" && good(x)
            ? x
            : fail(`${field}[${s}][${b}]`, `bad value ${JSON.stringify(x)}`),
      );
    });
  };
  const center = table("prior.center", p.center, Number.isFinite);
  const scale = table("prior.scale", p.scale, (x) => Number.isFinite(x) && x > 0);
  for (let s = 0; s < n; s++) {
    for (let b = 0; b < buckets; b++) {
      if (Number.isNaN(center[s][b]) !== Number.isNaN(scale[s][b]))
        fail(`prior.scale[${s}][${b}]`, "a cell has a center and a scale, or neither");
    }
  }
  return {
    format: CALIBRATION_FORMAT,
    version: CALIBRATION_VERSION,
    source: typeof d.source === "object" && d.source !== null && !Array.isArray(d.source) ? d.source : {},
    runs,
    steps,
    signals: [...signals],
    noise,
    prior: { width, buckets, center, scale },
  };
}

/** Reads and checks a calibration file; CalibrationError naming the path and the field. */
export function readCalibration(path: string): Calibration {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new CalibrationError(`${path}: ${(err as Error).message}`);
  }
  return parseCalibration(doc, path);
}

/** The calibration as JSON text (NaN written as null), diff-friendly: one signal per line in the tables. */
export function formatCalibration(c: Calibration): string {
  const clean = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(6)) : null);
  const rows = (t: number[][]) => t.map((r) => JSON.stringify(r.map(clean)));
  // JSON.stringify would put every number on its own line; the tables are written a row per line by hand.
  const head = JSON.stringify(
    {
      format: c.format,
      version: c.version,
      source: c.source,
      runs: c.runs,
      steps: c.steps,
      signals: c.signals,
      noise: c.noise.map(clean),
    },
    null,
    1,
  ).slice(0, -2);
  const table = (name: string, t: number[][]) => ` "${name}": [\n  ${rows(t).join(",\n  ")}\n ]`;
  return (
    `${head},\n "prior": {\n "width": ${c.prior.width},\n "buckets": ${c.prior.buckets},\n` +
    `${table("center", c.prior.center)},\n${table("scale", c.prior.scale)}\n }\n}\n`
  );
}

/**
 * A fingerprint set whose healthy prior is the calibration's, matched by
 * signal name: a signal of the set the calibration has no reference for gets
 * no prior. The noise (the unit of the run's own baseline, whose spike and
 * shift detectors alarm once the prior is on) is the larger of the set's and
 * the calibration's: a few runs rarely show a signal's rare jumps, and a
 * spike detector judging in a noise too small alarms on them (measured:
 * docs/calibration.md). The fingerprints, weights and detection settings stay
 * the set's: diagnosis is unchanged.
 */
export function calibratedSet(set: FingerprintSet, calibration: Calibration): FingerprintSet {
  const index = new Map(calibration.signals.map((name, j) => [name, j]));
  const { buckets } = calibration.prior;
  const none = () => new Array<number>(buckets).fill(NaN);
  const row = (table: number[][], name: string) => {
    const j = index.get(name);
    return j === undefined ? none() : [...table[j]];
  };
  return {
    ...set,
    source: { ...set.source, calibration: calibration.source },
    noise: set.signals.map((name, s) => {
      const j = index.get(name);
      return j === undefined ? set.noise[s] : Math.max(set.noise[s], calibration.noise[j]);
    }),
    prior: {
      buckets,
      center: set.signals.map((name) => row(calibration.prior.center, name)),
      scale: set.signals.map((name) => row(calibration.prior.scale, name)),
    },
  };
}
