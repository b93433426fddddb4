/**
 * The kernels' input rules and their wording, written once for both backends:
 * each backend's wrapper (native.ts, wasm.ts, wasm-detect.ts) calls a kernel's
 * check before the kernel, so a refused input throws the same message, with the
 * code of layout/errors.json in front, on native and on wasm. The Rust core
 * checks the same rules again as a defence, in its own words; the wasm kernels
 * keep their status codes for the same reason (see `refused`).
 */

import {
  DETECT_OPTIONS,
  DETECT_OUTPUTS,
  DETECT_STATE,
  DETECT_VERSION,
  MAX_STREAMS,
  SNAPSHOT_AT,
  SNAPSHOT_HEADER,
  SNAPSHOT_MAGIC,
} from "./generated/detect.js";
import {
  DETECT_OPTIONS_ERROR,
  DETECT_SHAPE_ERROR,
  DETECT_SNAPSHOT_ERROR,
  SCAN_SHAPE_ERROR,
} from "./generated/errors.js";
import { CANONICAL_COLUMNS } from "./generated/layout.js";
import {
  TREND_ABSENT,
  TREND_CODE_END,
  TREND_KIND_MASK,
  TREND_KINDS,
  TREND_OUTPUTS,
  TREND_STATE,
} from "./generated/trend.js";
import {
  type DetectorOptionName,
  type DetectorOptions,
  type FingerprintCentroids,
  type PriorAccumulation,
  type PriorTable,
  presenceSlots,
  type ScanBatch,
} from "./kernel.js";

function refuse(code: string, problem: string): never {
  throw new Error(`${code}: ${problem}`);
}

/**
 * A kernel refused input these checks let through: a bug on one side or the
 * other, reported with the kernel's status rather than hidden.
 */
export function refused(code: string, what: string, status: number): never {
  refuse(code, `the WebAssembly kernel refused ${what} (status ${status}) after its checks passed`);
}

// ---- the scanner (native/src/scan/mod.rs, Batch::validate)

/** The shape rules of a scan batch (`featureCount`: the features per step for a number of columns). */
export function checkScanBatch(batch: ScanBatch, featureCount: (columns: number) => number): void {
  const { columns, values, groups, prompts, offsets, present, out } = batch;
  const canonical = CANONICAL_COLUMNS.length;
  if (!(columns >= canonical)) {
    refuse(SCAN_SHAPE_ERROR, `columns is ${columns}, at least the ${canonical} canonical columns are required`);
  }
  if (offsets.length === 0) refuse(SCAN_SHAPE_ERROR, "offsets is empty; it needs steps + 1 entries");
  const rows = groups.length;
  if (values.length !== columns * rows) {
    refuse(SCAN_SHAPE_ERROR, `values has ${values.length} entries, expected columns (${columns}) x rows (${rows})`);
  }
  if (prompts.length !== rows)
    refuse(SCAN_SHAPE_ERROR, `prompts has ${prompts.length} entries, expected rows (${rows})`);
  const steps = offsets.length - 1;
  if (offsets[0] !== 0 || offsets[steps] !== rows)
    refuse(SCAN_SHAPE_ERROR, `offsets must run from 0 to rows (${rows})`);
  for (let s = 0; s < steps; s++) {
    if (offsets[s] > offsets[s + 1]) refuse(SCAN_SHAPE_ERROR, `offsets decrease at step ${s}`);
  }
  const want = steps * presenceSlots(columns);
  if (present.length !== want) {
    refuse(SCAN_SHAPE_ERROR, `present has ${present.length} entries, expected steps x (columns + 2) = ${want}`);
  }
  const features = featureCount(columns);
  if (out.length !== steps * features) {
    refuse(SCAN_SHAPE_ERROR, `out has ${out.length} entries, expected steps (${steps}) x features (${features})`);
  }
}

// ---- detector options (layout/detect.json `options`, `$rules`)

type Rule = (typeof DETECT_OPTIONS)[number]["rule"];

/** What an option's value must be, by rule; every option is also finite. */
const RULES: Record<Rule, (x: number) => boolean> = {
  count: (x) => x >= 1 && Number.isInteger(x),
  whole: (x) => x >= 0 && Number.isInteger(x),
  fraction: (x) => x > 0 && x <= 1,
  positive: (x) => x > 0,
  nonnegative: (x) => x >= 0,
};

const MAX_SIGNALS = DETECT_OPTIONS.findIndex((o) => o.name === "max_signals");
const MAX_RUNS = DETECT_OPTIONS.findIndex((o) => o.name === "max_runs");

/** The first option that breaks its rule, or `max_signals` when the bank would hold more than `MAX_STREAMS` streams; -1 when valid. */
function invalidOption(v: ArrayLike<number>): number {
  const i = DETECT_OPTIONS.findIndex((o, i) => !(Number.isFinite(v[i]) && RULES[o.rule](v[i])));
  if (i >= 0) return i;
  return v[MAX_RUNS] * v[MAX_SIGNALS] > MAX_STREAMS ? MAX_SIGNALS : -1;
}

/** What is wrong with an option vector, or undefined when nothing is. */
function optionProblem(v: ArrayLike<number>): string | undefined {
  const i = invalidOption(v);
  if (i < 0) return undefined;
  const o = DETECT_OPTIONS[i];
  return `option ${o.name} = ${v[i]} breaks its rule \`${o.rule}\` (max_runs x max_signals <= ${MAX_STREAMS})`;
}

/** The option vector (layout/detect.json order) for `options`, defaults filled in, every option checked against its rule. */
export function optionVector(options: DetectorOptions = {}): Float64Array {
  const known = new Set<string>(DETECT_OPTIONS.map((o) => o.name));
  const unknown = Object.keys(options).filter((name) => !known.has(name));
  if (unknown.length) {
    refuse(DETECT_OPTIONS_ERROR, `unknown option ${unknown.join(", ")}; known: ${[...known].join(", ")}`);
  }
  const vector = Float64Array.from(DETECT_OPTIONS, (o) => options[o.name] ?? o.default);
  const problem = optionProblem(vector);
  if (problem) refuse(DETECT_OPTIONS_ERROR, problem);
  return vector;
}

/** Options by name from an option vector. */
export function optionRecord(vector: ArrayLike<number>): Record<DetectorOptionName, number> {
  return Object.fromEntries(DETECT_OPTIONS.map((o, i) => [o.name, vector[i]])) as Record<DetectorOptionName, number>;
}

// ---- the bank (native/src/detect/bank.rs)

/** The rules of a bank snapshot: whole f64s, this layout's magic and version, valid options, the size they imply. */
export function checkBankSnapshot(snapshot: Uint8Array): void {
  const bytes = snapshot.length;
  const notSnapshot = (why: string) => refuse(DETECT_SNAPSHOT_ERROR, `not a detector bank snapshot: ${why}`);
  if (bytes % 8 !== 0 || bytes < SNAPSHOT_HEADER * 8) notSnapshot("too short or not whole f64s");
  const view = new DataView(snapshot.buffer, snapshot.byteOffset, bytes);
  const word = (i: number) => view.getFloat64(8 * i, true);
  if (word(SNAPSHOT_AT.magic) !== SNAPSHOT_MAGIC || word(SNAPSHOT_AT.version) !== DETECT_VERSION) {
    notSnapshot("wrong magic number or layout version");
  }
  const options = Float64Array.from(DETECT_OPTIONS, (_, i) => word(SNAPSHOT_AT.options + i));
  const problem = optionProblem(options);
  if (problem) refuse(DETECT_SNAPSHOT_ERROR, problem);
  const runs = options[MAX_RUNS];
  if (bytes !== 8 * (SNAPSHOT_HEADER + 2 * runs + runs * options[MAX_SIGNALS] * DETECT_STATE.length)) {
    notSnapshot("its size does not match its options");
  }
}

/** The rules of a push into a bank whose signals are below `maxSignals`. */
export function checkBankPush(
  runs: Uint32Array,
  signals: Uint32Array,
  values: Float64Array,
  outputs: Float64Array,
  flags: Int32Array,
  maxSignals: number,
): void {
  const n = values.length;
  const width = DETECT_OUTPUTS.length;
  if (runs.length !== n || signals.length !== n || flags.length !== n || outputs.length !== n * width) {
    refuse(
      DETECT_SHAPE_ERROR,
      `runs (${runs.length}), signals (${signals.length}), values (${n}) and flags (${flags.length}) must have one entry per observation, outputs (${outputs.length}) ${width} per observation`,
    );
  }
  for (let i = 0; i < n; i++) {
    if (signals[i] >= maxSignals) {
      refuse(DETECT_SHAPE_ERROR, `signal ${signals[i]} of observation ${i} is not below max_signals (${maxSignals})`);
    }
  }
}

// ---- the series scorer (native/src/detect/series.rs)

export function checkSeriesScore(values: Float64Array, scores: Float64Array): void {
  if (scores.length !== values.length) {
    refuse(DETECT_SHAPE_ERROR, "scores must be a separate array with one entry per value");
  }
}

// ---- the healthy prior (native/src/detect/prior.rs)

/**
 * A table's count (signals, buckets, fingerprints, dims) checked before it reaches a
 * kernel, where it is a u32 and a fraction or a negative number would wrap silently.
 */
function tableCount(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 0xffff_ffff) {
    refuse(DETECT_SHAPE_ERROR, `${name} must be a whole number from 1 to 4294967295, got ${n}`);
  }
  return n;
}

/** The rules of a prior table; its counts, checked. */
export function checkPriorTable(table: PriorTable): { signals: number; buckets: number } {
  const signals = tableCount("signals", table.signals);
  const buckets = tableCount("buckets", table.buckets);
  const cells = signals * buckets;
  const { center, scale } = table;
  if (center.length !== cells || scale.length !== cells) {
    refuse(
      DETECT_SHAPE_ERROR,
      `center (${center.length}) and scale (${scale.length}) must have signals x buckets (${signals} x ${buckets} = ${cells}) entries`,
    );
  }
  for (let i = 0; i < cells; i++) {
    if (scale[i] < 0) {
      refuse(
        DETECT_SHAPE_ERROR,
        `scale ${scale[i]} of signal ${Math.floor(i / buckets)}, bucket ${i % buckets} is negative (NaN marks a cell without reference)`,
      );
    }
  }
  return { signals, buckets };
}

/** The rules of a scoring call against a table of `tableSignals` signals. */
export function checkPriorScore(
  signals: Uint32Array,
  steps: Uint32Array,
  values: Float64Array,
  z: Float64Array,
  tableSignals: number,
): void {
  const n = values.length;
  if (signals.length !== n || steps.length !== n || z.length !== n) {
    refuse(
      DETECT_SHAPE_ERROR,
      `signals (${signals.length}), steps (${steps.length}), values (${n}) and z (${z.length}) must have one entry per observation`,
    );
  }
  for (let i = 0; i < n; i++) {
    if (signals[i] >= tableSignals) {
      refuse(DETECT_SHAPE_ERROR, `signal ${signals[i]} of observation ${i} is not below signals (${tableSignals})`);
    }
  }
}

/** The rules of `priorAccumulate`. */
export function checkAccumulation(
  sums: Float64Array,
  z: Float64Array,
  settings: PriorAccumulation,
  alarms: Uint8Array,
): void {
  const { k, clip, h } = settings;
  if (!(Number.isFinite(k) && k >= 0 && Number.isFinite(clip) && clip > 0 && Number.isFinite(h) && h > 0)) {
    refuse(
      DETECT_SHAPE_ERROR,
      `accumulation needs k >= 0, clip > 0 and h > 0, all finite (k ${k}, clip ${clip}, h ${h})`,
    );
  }
  const n = sums.length;
  if (z.length !== n || alarms.length !== n) {
    refuse(
      DETECT_SHAPE_ERROR,
      `sums (${n}), z (${z.length}) and alarms (${alarms.length}) must have one entry per signal`,
    );
  }
}

// ---- fingerprint matching (native/src/detect/fingerprint.rs)

/** The rules of a fingerprint set; its counts, checked. */
export function checkFingerprintSet(set: FingerprintCentroids): { fingerprints: number; dims: number } {
  const fingerprints = tableCount("fingerprints", set.fingerprints);
  const dims = tableCount("dims", set.dims);
  const cells = fingerprints * dims;
  const { centroids, weights } = set;
  if (centroids.length !== cells || weights.length !== dims) {
    refuse(
      DETECT_SHAPE_ERROR,
      `centroids (${centroids.length}) must have fingerprints x dims (${fingerprints} x ${dims} = ${cells}) entries, weights (${weights.length}) dims (${dims})`,
    );
  }
  for (let d = 0; d < dims; d++) {
    const w = weights[d];
    if (!(Number.isFinite(w) && w >= 0)) {
      refuse(DETECT_SHAPE_ERROR, `weight ${w} of dimension ${d} must be finite and at least 0`);
    }
  }
  return { fingerprints, dims };
}

/** The rules of a match against a set of `fingerprints x dims`. */
export function checkMatch(
  vector: Float64Array,
  temperature: number,
  similarity: Float64Array,
  confidence: Float64Array,
  fingerprints: number,
  dims: number,
): void {
  if (vector.length !== dims || similarity.length !== fingerprints || confidence.length !== fingerprints) {
    refuse(
      DETECT_SHAPE_ERROR,
      `vector (${vector.length}) must have dims (${dims}) entries, similarity (${similarity.length}) and confidence (${confidence.length}) fingerprints (${fingerprints})`,
    );
  }
  if (!(Number.isFinite(temperature) && temperature > 0)) {
    refuse(DETECT_SHAPE_ERROR, `temperature ${temperature} must be finite and above 0`);
  }
}

// ---- the trend detector (native/src/detect/trend.rs)

/** The shape rules of `trendStep`. */
export function checkTrendBatch(
  states: Float64Array,
  values: Float64Array,
  codes: Int32Array,
  trials: Float64Array,
  outputs: Float64Array,
  flags: Int32Array,
): void {
  const n = values.length;
  const width = TREND_STATE.length;
  const out = TREND_OUTPUTS.length;
  if (
    codes.length !== n ||
    trials.length !== n ||
    flags.length !== n ||
    states.length !== n * width ||
    outputs.length !== n * out
  ) {
    refuse(
      DETECT_SHAPE_ERROR,
      `trend batch of ${n} values needs ${n} codes, trials and flags, ${n} x ${width} states and ${n} x ${out} outputs (got ${codes.length}, ${trials.length}, ${flags.length}, ${states.length}, ${outputs.length})`,
    );
  }
  const kinds = TREND_KINDS.length;
  for (let i = 0; i < n; i++) {
    const c = codes[i];
    if (!(c === TREND_ABSENT || (c >= 0 && (c & TREND_KIND_MASK) < kinds && c < TREND_CODE_END))) {
      refuse(
        DETECT_SHAPE_ERROR,
        `trend code ${c} of observation ${i} is not a kind (0-${kinds - 1}) plus direction bits`,
      );
    }
  }
}
