/**
 * `calibrate`: a setup's healthy prior and noise from a few unlabelled
 * healthy runs of that setup (docs/calibration.md), so that the monitor can
 * judge a run of that setup against healthy runs at the same point of
 * training: what catches a fault present from step 0 (a mis-set temperature,
 * a KL penalty left off, a wrong LR), which a run's own baseline learns as
 * normal.
 *
 * - Point of training is the trainer's step number, bucketed by `width` steps
 *   (`chooseWidth`: about 48 buckets over a run of the median length, never
 *   narrower than the sparsest logging cadence, so every bucket of every run
 *   holds a logged step).
 * - Per signal and bucket: center = the median of the runs' levels (each run's
 *   median in the bucket) over the bucket and its two neighbours; scale =
 *   sqrt((w s)^2 + noise^2), s the spread of the runs' levels around their
 *   mean (pooled over the bucket and two neighbours on each side), widened by
 *   w, the 95% upper bound of a spread estimated from n runs (chi-square, n - 1
 *   degrees of freedom: 4.4 at n = 3, 2.4 at n = 5) and at least a quarter of
 *   the kind's effect size (layout/trend.json: three runs that agree on a
 *   quantized signal would give it a scale of its rounding noise), and noise
 *   the signal's run-own step-to-step noise (run-series.ts `healthyNoise`, at
 *   least the plain sd of a step's change, `roughness`). One run has no
 *   spread: its place is taken by the whole effect size.
 *   Why so wide: the prior's CUSUM (prior_cusum, k = 2, h = 20) alarms on a
 *   run that sits at |z| = 3 for 20 steps, so healthy runs of the setup must
 *   stay under |z| = 2.
 * - Refusals (CalibrationError, naming the run): no runs or no steps; runs
 *   that report different signals; lengths or logging cadences more than a
 *   factor 2 apart; a magnitude (scale or count kind) whose median differs more
 *   than a factor 10 between runs. Such runs are not one setup, and a prior
 *   learnt across them would be too wide to see a fault or too narrow to let a
 *   healthy run pass.
 */

import {
  EFFECT_CORR,
  EFFECT_COUNT_SHARE,
  EFFECT_LOG,
  EFFECT_RATE,
  EFFECT_SIGNED_RANGE,
} from "../backend/generated/trend.js";
import type { Kernels } from "../backend/kernel.js";
import { kernels as selectedKernels } from "../backend/selected.js";
import { signalKind, type TrendKind } from "../detect/kinds.js";
import type { ReadTelemetryOptions } from "../ingest/index.js";
import { quantileOfSorted } from "../scan/quantile.js";
import { CALIBRATION_FORMAT, CALIBRATION_VERSION, type Calibration, CalibrationError } from "./calibration-file.js";
import { spreadWidening } from "./chi-square.js";
import { defaultFingerprintSet, type FingerprintSet, readFingerprintSet } from "./fingerprint-set.js";
import {
  healthyNoise,
  median,
  readSignalSeries,
  reportedValues,
  type SignalSeries,
  sorted,
  stepChanges,
} from "./run-series.js";

export interface CalibrateOptions {
  kernels?: Kernels;
  /** How the files are read (format, run name, ...), as `scan` reads them. */
  read?: ReadTelemetryOptions;
  /** Whose signals are calibrated (default: the shipped set). */
  fingerprints?: FingerprintSet | string;
  /** Free-form, kept in the calibration's `source` (e.g. `{ setup: "b" }`). */
  source?: Record<string, unknown>;
}

/** Buckets a run of the median length is cut into. */
const TARGET_BUCKETS = 48;
/** Lengths and cadences of one setup's runs are within this factor. */
const MAX_LENGTH_RATIO = 2;
/** A magnitude's median level of one setup's runs is within this factor. */
const MAX_LEVEL_RATIO = 10;
/** The spread across runs is at least this share of the kind's effect size, whatever few runs showed. */
const EFFECT_FLOOR = 0.25;
/** The center pools the bucket and this many on each side; the spread twice as many. */
const CENTER_POOL = 1;
const SPREAD_POOL = 2;

/** A run read for calibration, with the name it is called by in messages. */
interface CalibrationRun extends SignalSeries {
  id: string;
  file: string;
}

const stepsOf = (r: SignalSeries) => r.steps.map((s) => s.data.step);

/** The run's length in trainer steps (its last step + 1). */
const lengthOf = (r: SignalSeries) => Math.max(...stepsOf(r)) + 1;

/** The run's logging cadence: the median gap between its logged steps (1 for a run of one step). */
function cadenceOf(r: SignalSeries): number {
  const steps = [...new Set(stepsOf(r))].sort((a, b) => a - b);
  const gaps = steps.slice(1).map((s, i) => s - steps[i]);
  return gaps.length ? median(sorted(gaps)) : 1;
}

/** Steps per bucket for runs of these lengths and cadences (see the module comment). */
export function chooseWidth(lengths: readonly number[], cadences: readonly number[]): number {
  const typical = median(sorted([...lengths]));
  return Math.max(1, Math.ceil(Math.max(...cadences)), Math.round(typical / TARGET_BUCKETS));
}

/** A signal's kind (layout/trend.json), or for one it does not list: a magnitude if every value is positive, else signed. */
function kindOf(signal: string, runs: readonly SignalSeries[], c: number): TrendKind {
  const listed = signalKind(signal);
  if (listed) return listed;
  const positive = runs.every((r) => r.values.every((v, t) => !r.present[t][c] || !(v[c] <= 0)));
  return positive ? "scale" : "signed";
}

/** The smallest change of the kind the detectors look for (layout/trend.json's effect sizes) at `level`; 0 for a signed signal. */
function effectSize(kind: TrendKind, level: number, range: number): number {
  switch (kind) {
    case "scale":
      return EFFECT_LOG * Math.abs(level);
    case "count":
      return EFFECT_COUNT_SHARE * Math.abs(level);
    case "rate":
      return EFFECT_RATE;
    case "corr":
      return EFFECT_CORR;
    default:
      return EFFECT_SIGNED_RANGE * range;
  }
}

function refuse(message: string): never {
  throw new CalibrationError(`calibrate: ${message}`);
}

async function readRuns(
  kernels: Kernels,
  files: readonly string[],
  signals: readonly string[],
  read: ReadTelemetryOptions | undefined,
): Promise<CalibrationRun[]> {
  const runs: CalibrationRun[] = [];
  for (const file of files) {
    const { runs: found, problems } = await readSignalSeries(kernels, [file], signals, read);
    if (found.length === 0) refuse(`${file}: no steps${problems ? ` (${problems})` : ""}`);
    for (const r of found) runs.push({ ...r, file, id: found.length > 1 ? `${file} (run ${r.run})` : file });
  }
  return runs;
}

/** Refuses runs that do not look like one setup; returns the signals (indices) they all report. */
function checkOneSetup(runs: readonly CalibrationRun[], signals: readonly string[]): number[] {
  const reported = runs.map((r) => signals.map((_, c) => r.present.some((p) => p[c] === 1)));
  const first = runs[0];
  for (let i = 1; i < runs.length; i++) {
    const more = signals.filter((_, c) => reported[i][c] && !reported[0][c]);
    const fewer = signals.filter((_, c) => !reported[i][c] && reported[0][c]);
    if (more.length || fewer.length) {
      const what = [
        more.length ? `reports ${more.join(", ")}, which ${first.id} does not` : "",
        fewer.length ? `lacks ${fewer.join(", ")}, which ${first.id} reports` : "",
      ].filter(Boolean);
      refuse(`${runs[i].id}: not the same setup as ${first.id}: it ${what.join("; it ")}`);
    }
  }
  const apart = (what: string, unit: string, value: (r: CalibrationRun) => number) => {
    const v = runs.map(value);
    const hi = v.indexOf(Math.max(...v));
    const lo = v.indexOf(Math.min(...v));
    if (v[hi] > MAX_LENGTH_RATIO * v[lo]) {
      refuse(
        `${runs[hi].id}: not the same setup as ${runs[lo].id}: ${what} ${v[hi]} ${unit} against ${v[lo]} ` +
          `(more than a factor ${MAX_LENGTH_RATIO} apart)`,
      );
    }
  };
  apart("its length is", "steps", lengthOf);
  apart("it logs every", "steps", cadenceOf);
  const used = signals.map((_, c) => c).filter((c) => reported[0][c]);
  if (used.length === 0) refuse(`${first.id}: reports none of the fingerprint set's signals`);
  for (const c of used) {
    const kind = signalKind(signals[c]);
    if (kind !== "scale" && kind !== "count") continue;
    const levels = runs.map((r) => Math.abs(median(sorted(reportedValues(r, c)))));
    if (!levels.every((l) => Number.isFinite(l) && l > 0)) continue;
    const hi = levels.indexOf(Math.max(...levels));
    const lo = levels.indexOf(Math.min(...levels));
    if (levels[hi] > MAX_LEVEL_RATIO * levels[lo]) {
      refuse(
        `${runs[hi].id}: not the same setup as ${runs[lo].id}: its ${signals[c]} is ${levels[hi].toPrecision(3)} ` +
          `against ${levels[lo].toPrecision(3)} (median levels more than a factor ${MAX_LEVEL_RATIO} apart)`,
      );
    }
  }
  return used;
}

/**
 * The plain standard deviation of a step's change over sqrt 2 (no robust
 * trimming): a signal that moves in rare jumps (a quantile of token lengths,
 * a count) has a robust noise near 0 from a few runs, and its jumps would then
 * read as huge deviations of a healthy run.
 */
function roughness(runs: readonly SignalSeries[], c: number): number {
  const changes = stepChanges(runs, c);
  const squares = changes.reduce((a, d) => a + d * d, 0);
  return changes.length ? Math.sqrt(squares / changes.length / 2) : 0;
}

/** The 5-95% quantile range of signal `c` over the runs' steps (0 without values). */
function rangeOf(runs: readonly SignalSeries[], c: number): number {
  const s = sorted(runs.flatMap((r) => reportedValues(r, c)));
  return s.length ? quantileOfSorted(s, 0.95) - quantileOfSorted(s, 0.05) : 0;
}

/** Each run's level (median) of signal `c` per bucket; NaN where the run logged nothing there. */
function bucketLevels(runs: readonly SignalSeries[], c: number, width: number, buckets: number): number[][] {
  return runs.map((r) => {
    const pools: number[][] = Array.from({ length: buckets }, () => []);
    r.steps.forEach((step, t) => {
      if (r.present[t][c]) pools[Math.min(Math.floor(step.data.step / width), buckets - 1)].push(r.values[t][c]);
    });
    return pools.map((p) => median(sorted(p)));
  });
}

/** The prior of one signal (see the module comment). */
function signalPrior(
  levels: readonly number[][],
  kind: TrendKind,
  range: number,
  noise: number,
  buckets: number,
): { center: number[]; scale: number[] } {
  const at = (b: number) => levels.map((run) => run[b]).filter(Number.isFinite);
  const center: number[] = [];
  const scale: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const near: number[] = [];
    for (let d = -CENTER_POOL; d <= CENTER_POOL; d++) if (b + d >= 0 && b + d < buckets) near.push(...at(b + d));
    const m = median(sorted(near));
    const n = at(b).length;
    if (!Number.isFinite(m) || n === 0) {
      center.push(NaN);
      scale.push(NaN);
      continue;
    }
    let squares = 0;
    let dof = 0;
    for (let d = -SPREAD_POOL; d <= SPREAD_POOL; d++) {
      const v = b + d >= 0 && b + d < buckets ? at(b + d) : [];
      if (v.length < 2) continue;
      const mean = v.reduce((a, x) => a + x, 0) / v.length;
      squares += v.reduce((a, x) => a + (x - mean) ** 2, 0);
      dof += v.length - 1;
    }
    const effect = effectSize(kind, m, range);
    const spread =
      n >= 2 && dof > 0 ? Math.max(spreadWidening(n - 1) * Math.sqrt(squares / dof), EFFECT_FLOOR * effect) : effect;
    center.push(m);
    scale.push(Math.max(Math.hypot(spread, noise), 1e-9));
  }
  return { center, scale };
}

/**
 * Learns a setup's healthy prior and noise from telemetry files of healthy runs
 * of that setup (each run of each file is one run); rejects with a
 * CalibrationError naming the file or run and the reason.
 */
export async function calibrate(files: readonly string[], options: CalibrateOptions = {}): Promise<Calibration> {
  if (!Array.isArray(files) || files.length === 0) refuse("no files given: name the telemetry of 1-5 healthy runs");
  const kernels = options.kernels ?? selectedKernels;
  const fp = options.fingerprints;
  const set = fp === undefined ? defaultFingerprintSet() : typeof fp === "string" ? readFingerprintSet(fp) : fp;
  const runs = await readRuns(kernels, files, set.signals, options.read);
  const used = checkOneSetup(runs, set.signals);
  const lengths = runs.map(lengthOf);
  const width = chooseWidth(lengths, runs.map(cadenceOf));
  const buckets = Math.max(1, Math.ceil(Math.max(...lengths) / width));
  const noise = used.map((c) => Math.max(healthyNoise(runs, c), roughness(runs, c)));
  const priors = used.map((c, i) =>
    signalPrior(
      bucketLevels(runs, c, width, buckets),
      kindOf(set.signals[c], runs, c),
      rangeOf(runs, c),
      noise[i],
      buckets,
    ),
  );
  const steps = runs.reduce((a, r) => a + r.steps.length, 0);
  return {
    format: CALIBRATION_FORMAT,
    version: CALIBRATION_VERSION,
    source: {
      ...options.source,
      files: [...files],
      runs: runs.map((r) => ({ file: r.file, run: r.run, steps: r.steps.length, last_step: lengthOf(r) - 1 })),
    },
    runs: runs.length,
    steps,
    signals: used.map((c) => set.signals[c]),
    noise,
    prior: { width, buckets, center: priors.map((p) => p.center), scale: priors.map((p) => p.scale) },
  };
}
