/**
 * Learns a fingerprint set from labelled runs (`rftfm fingerprints learn`).
 *
 * The labelled corpus is a directory with a `labels.json`:
 *
 *     {"runs": {"<run id>": {"file": "runs/a.jsonl.gz", "fault": "healthy" | <fault id>,
 *                             "split": "train" | "test", "onset": <step> | null, ...}}}
 *
 * (the fault benchmark writes exactly this; users label their own runs the same
 * way). Only runs of the chosen split are read: the set is then judged on the
 * other split, which it never saw.
 *
 * 1. Signals: the candidates (signals.ts) that healthy runs reported.
 * 2. Noise: per signal, the healthy step-to-step noise (run-series.ts, shared
 *    with calibrate.ts): the robust standard
 *    deviation of first differences over sqrt 2, at least the 99th percentile
 *    of |difference| / (2.58 sqrt 2) so that a heavy-tailed healthy signal is
 *    not judged by its quiet stretches.
 * 3. Prior: per signal and step bucket (the run's n-th step), pooling steps
 *    n-2..n+2 of every healthy run: center = median, scale = the larger of the
 *    robust standard deviation (1.4826 MAD) and the 1-99% quantile range / 4.65
 *    (the same width for a Gaussian), floored at the signal's noise (the prior
 *    cannot be tighter than a run's own step-to-step jitter) and at 0.1% of
 *    |center|, so that a setting every healthy run shares is not infinitely tight.
 *    Buckets with fewer than 5 values have no reference.
 * 4. Fingerprints: every faulty run is replayed through a Monitor holding the
 *    signals, noise and prior above; the deviation vector of its first alarm
 *    (mean clipped deviation per signal over the first `window` steps, in the
 *    set's `deviation` units: `noise` by default, or `trend`, against each
 *    run's own trend in its own noise) is
 *    scaled to unit length, and a fault's centroid is the normalized mean of
 *    its runs' vectors. Runs that never alarm teach nothing.
 * 5. Temperature: the softmax temperature minimising the negative
 *    log-likelihood of the true fault over those runs (a grid search): the
 *    confidence is then calibrated on the data it was learnt from.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Kernels } from "../backend/kernel.js";
import { kernels as selectedKernels } from "../backend/selected.js";
import { quantileOfSorted } from "../scan/quantile.js";
import { FAULT_FAMILIES, type FaultId, isFaultId } from "../verdict/faults.js";
import {
  DEFAULT_DETECTION,
  type DetectionSettings,
  type DeviationUnits,
  FINGERPRINT_FORMAT,
  FINGERPRINT_VERSION,
  type Fingerprint,
  type FingerprintSet,
} from "./fingerprint-set.js";
import { Monitor } from "./monitor.js";
import { healthyNoise, median, readSignalSeries, type SignalSeries, sorted } from "./run-series.js";
import { CANDIDATE_SIGNALS } from "./signals.js";

export interface LabelEntry {
  file: string;
  fault: string;
  split?: string;
  onset?: number | null;
  /** The setup the run belongs to (faultbench generate writes it): what `setups` filters on. */
  setup?: string;
}

export interface LearnOptions {
  corpus: string;
  /** Only runs of this split (default "train"); "all" for every run. */
  split?: string;
  /**
   * Only runs of these setups (labels.json `setup`); a run without one belongs to no
   * listed setup. A run left out is never read: leave-one-setup-out learns without
   * the held setup's files.
   */
  setups?: readonly string[];
  /** Only runs this returns true for (after `split` and `setups`); a run left out is never read. */
  include?: (id: string, entry: LabelEntry) => boolean;
  detection?: Partial<DetectionSettings>;
  /** Most prior buckets (default 512): steps beyond the last bucket are judged against it. */
  maxBuckets?: number;
  /**
   * The units of the deviation vectors the fingerprints are learnt in (fingerprint-set.ts). Default `noise`: on the
   * leave-one-setup-out corpus of docs/faultbench.md it ranked the true fault first as often as `trend` or more
   * (zero-shot top-1 0.83 against 0.78), so the setup-free units are there to choose, not the default.
   */
  deviation?: DeviationUnits;
  kernels?: Kernels;
  progress?: (done: number, total: number, run: string) => void;
}

export interface LearnReport {
  set: FingerprintSet;
  healthyRuns: number;
  faultyRuns: number;
  /** Faulty runs that raised no alarm (they add nothing to their fingerprint). */
  silentRuns: string[];
  problems: string[];
}

/** A labelled run's steps as values per candidate signal. */
interface RunSeries extends SignalSeries {
  id: string;
  label: LabelEntry;
}

const PRIOR_POOL = 2;
const MIN_PRIOR_VALUES = 5;

/** labels.json as parsed: checked field by field below. */
// biome-ignore lint/suspicious/noExplicitAny: each field is checked for its type before use, with the field named in the error
type LabelsDocument = any;

/** A corpus's labels.json (written by `rftfm faultbench generate`): run id -> its label, each checked for its file and fault. */
export function readLabels(corpus: string): Record<string, LabelEntry> {
  const path = join(corpus, "labels.json");
  let doc: LabelsDocument;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  if (!doc || typeof doc.runs !== "object") throw new Error(`${path}: runs: expected an object of run id -> label`);
  for (const [id, entry] of Object.entries<LabelsDocument>(doc.runs)) {
    if (typeof entry?.file !== "string") throw new Error(`${path}: runs.${id}.file: expected the run's telemetry file`);
    if (entry.fault !== "healthy" && !isFaultId(entry.fault)) {
      throw new Error(
        `${path}: runs.${id}.fault: expected "healthy" or a fault id of faults.md, got ${JSON.stringify(entry.fault)}`,
      );
    }
  }
  return doc.runs;
}

async function readRun(
  kernels: Kernels,
  corpus: string,
  id: string,
  label: LabelEntry,
  problems: string[],
): Promise<RunSeries> {
  const read = await readSignalSeries(kernels, [resolve(corpus, label.file)], CANDIDATE_SIGNALS, {}, true);
  if (read.problems) problems.push(`${id}: ${read.problems}`);
  const series = read.runs[0] ?? { run: "", steps: [], values: [], present: [] };
  return { ...series, id, label };
}

function learnPrior(
  healthy: readonly RunSeries[],
  c: number,
  buckets: number,
  noise: number,
): { center: number[]; scale: number[] } {
  const center: number[] = [];
  const scale: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const pool: number[] = [];
    for (const r of healthy) {
      for (let t = b - PRIOR_POOL; t <= b + PRIOR_POOL; t++) {
        if (t >= 0 && t < r.values.length && r.present[t][c]) pool.push(r.values[t][c]);
      }
    }
    const s = sorted(pool);
    if (s.length < MIN_PRIOR_VALUES) {
      center.push(NaN);
      scale.push(NaN);
      continue;
    }
    const m = median(s);
    const mad = median(sorted(s.map((v) => Math.abs(v - m)))) * 1.4826;
    const range = (quantileOfSorted(s, 0.99) - quantileOfSorted(s, 0.01)) / 4.65;
    center.push(m);
    scale.push(Math.max(mad, range, noise, 1e-3 * Math.abs(m), 1e-9));
  }
  return { center, scale };
}

/** Temperature minimising the mean negative log-likelihood of the true faults (grid search, log-spaced). */
function fitTemperature(
  kernels: Kernels,
  set: FingerprintSet,
  samples: { vector: Float64Array; fault: FaultId }[],
): number {
  if (set.fingerprints.length < 2 || samples.length === 0) return 0.1;
  const matcher = kernels.detectors.createMatcher({
    fingerprints: set.fingerprints.length,
    dims: set.signals.length,
    centroids: Float64Array.from(set.fingerprints.flatMap((f) => f.centroid)),
    weights: Float64Array.from(set.weights),
  });
  try {
    const k = set.fingerprints.length;
    const sim = new Float64Array(k);
    const conf = new Float64Array(k);
    let best = { t: 0.1, nll: Infinity };
    for (let e = -3; e <= 0.001; e += 0.05) {
      const t = 10 ** e;
      let nll = 0;
      for (const { vector, fault } of samples) {
        matcher.match(vector, t, sim, conf);
        const i = set.fingerprints.findIndex((f) => f.fault === fault);
        nll -= Math.log(Math.max(i >= 0 ? conf[i] : 0, 1e-12));
      }
      if (nll < best.nll) best = { t, nll };
    }
    return Number(best.t.toPrecision(4));
  } finally {
    matcher.free();
  }
}

export async function learnFingerprints(options: LearnOptions): Promise<LearnReport> {
  const kernels = options.kernels ?? selectedKernels;
  const split = options.split ?? "train";
  const labels = readLabels(options.corpus);
  const setups = options.setups ? new Set(options.setups) : null;
  const entries = Object.entries(labels).filter(
    ([id, e]) =>
      (split === "all" || e.split === split) &&
      (setups === null || (typeof e.setup === "string" && setups.has(e.setup))) &&
      (options.include?.(id, e) ?? true),
  );
  if (entries.length === 0) {
    const which = setups ? ` and setups ${[...setups].join(", ")}` : "";
    throw new Error(`${options.corpus}: no run of split "${split}"${which} in labels.json`);
  }
  const problems: string[] = [];
  const runs: RunSeries[] = [];
  for (const [id, label] of entries) {
    runs.push(await readRun(kernels, options.corpus, id, label, problems));
    options.progress?.(runs.length, entries.length * 2, id);
  }
  const healthy = runs.filter((r) => r.label.fault === "healthy");
  if (healthy.length < 2)
    throw new Error(
      `${options.corpus}: split "${split}" has ${healthy.length} healthy run(s); at least 2 are needed for a prior`,
    );

  // 1. Signals that healthy runs report.
  const chosen = CANDIDATE_SIGNALS.map((name, c) => ({ name, c })).filter(
    ({ c }) => healthy.filter((r) => r.present.some((p) => p[c])).length * 2 >= healthy.length,
  );
  const longest = Math.max(...healthy.map((r) => r.values.length));
  const buckets = Math.max(1, Math.min(options.maxBuckets ?? 512, longest));
  const noise = chosen.map(({ c }) => healthyNoise(healthy, c));
  const priors = chosen.map(({ c }, i) => learnPrior(healthy, c, buckets, noise[i]));
  const detection: DetectionSettings = { ...DEFAULT_DETECTION, ...options.detection };
  const set: FingerprintSet = {
    format: FINGERPRINT_FORMAT,
    version: FINGERPRINT_VERSION,
    deviation: options.deviation ?? "noise",
    source: {
      corpus: options.corpus,
      split,
      ...(setups ? { setups: [...setups] } : {}),
      runs: runs.length,
      healthy: healthy.length,
    },
    signals: chosen.map((s) => s.name),
    noise,
    prior: { buckets, center: priors.map((p) => p.center), scale: priors.map((p) => p.scale) },
    detection,
    weights: chosen.map(() => 1),
    temperature: 0.1,
    fingerprints: [],
  };

  // 4. Deviation vectors of the faulty runs' first alarms.
  const samples: { vector: Float64Array; fault: FaultId }[] = [];
  const silentRuns: string[] = [];
  const faulty = runs.filter((r) => r.label.fault !== "healthy");
  for (const r of faulty) {
    const monitor = new Monitor({ fingerprints: set, kernels, policy: false, maxRuns: 1 });
    try {
      for (const step of r.steps) monitor.observeScanned(step);
      const vector = monitor.deviationVector(r.steps[0]?.data.run ?? "");
      if (vector) samples.push({ vector, fault: r.label.fault as FaultId });
      else silentRuns.push(r.id);
    } finally {
      monitor.close();
    }
    options.progress?.(entries.length + runs.indexOf(r) + 1, entries.length * 2, r.id);
  }
  const dims = set.signals.length;
  const fingerprints: Fingerprint[] = [];
  for (const fault of Object.keys(FAULT_FAMILIES) as FaultId[]) {
    const mine = samples.filter((s) => s.fault === fault);
    if (mine.length === 0) continue;
    const sum = new Array<number>(dims).fill(0);
    const count = new Array<number>(dims).fill(0);
    for (const { vector } of mine) {
      let norm = 0;
      for (let d = 0; d < dims; d++) if (Number.isFinite(vector[d])) norm += (set.weights[d] * vector[d]) ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let d = 0; d < dims; d++) {
        if (!Number.isFinite(vector[d])) continue;
        sum[d] += vector[d] / norm;
        count[d]++;
      }
    }
    const mean = sum.map((s, d) => (count[d] ? s / count[d] : NaN));
    const length = Math.sqrt(mean.reduce((a, v) => a + (Number.isFinite(v) ? v * v : 0), 0)) || 1;
    fingerprints.push({
      fault,
      family: FAULT_FAMILIES[fault],
      runs: mine.length,
      centroid: mean.map((v) => v / length),
    });
  }
  set.fingerprints = fingerprints;
  set.temperature = fitTemperature(kernels, set, samples);
  return { set, healthyRuns: healthy.length, faultyRuns: faulty.length, silentRuns, problems };
}
