/**
 * The detect stage: one step of one run, judged zero-shot (docs/detection.md).
 *
 * Per step, one kernel call runs the trend detector over every watched signal
 * the trend layout names (layout/trend.json); the invariants then read its
 * running statistics; non-finite values are counted. Out of that come:
 * - **alarms** (anomalies): a trend excursion that persisted
 *   (`TREND_PERSISTENCE` logged points), an invariant broken for its
 *   persistence, or non-finite values at 2 points in a row;
 * - **notes**: what was out of line once and gone at the next point (a
 *   one-off spike, a single non-finite value): said, never alarmed on;
 * - per signal, the trend z (for diagnosis, beside the other detectors).
 * Fingerprints take no part here: they rank faults once an alarm stands.
 *
 * The state is plain data (the kernel's stream rows and persistence counts),
 * so a monitor snapshot carries it.
 */
import { TREND_FLAGS, TREND_OUTPUTS, TREND_STATE } from "../backend/generated/trend.js";
import type { Kernels } from "../backend/kernel.js";
import { TREND_ABSENT } from "../backend/kernel.js";
import type { Anomaly, Note } from "../verdict/types.js";
import { formatNumber } from "../verdict/words.js";
import { INVARIANT_SIGNALS, INVARIANTS, type Invariant, type SignalReading } from "./invariants.js";
import { type StepSize, TREND_SIGNAL_NAMES, trialsOf } from "./kinds.js";

const W = TREND_STATE.length;
const O = TREND_OUTPUTS.length;
const COUNT = TREND_STATE.indexOf("count");
const bit = (name: (typeof TREND_FLAGS)[number]) => 1 << TREND_FLAGS.indexOf(name);
const ALARM = bit("alarm");
const ONE_OFF = bit("one_off");
const UP = bit("up");
const out = (name: (typeof TREND_OUTPUTS)[number]) => TREND_OUTPUTS.indexOf(name);
const Z = out("z");
const BASELINE = out("baseline");
const PERSIST = out("persist");
/** Each output's index in a row, looked up once (the invariants read outputs by name at every step). */
const OUTPUT_INDEX = Object.fromEntries(TREND_OUTPUTS.map((name, i) => [name, i])) as Record<
  (typeof TREND_OUTPUTS)[number],
  number
>;

/** Non-finite values at this many logged points in a row are an alarm; fewer, a note. */
export const NONFINITE_PERSISTENCE = 2;

/**
 * The signals the detect stage reads: the monitor's watched signals, then
 * every other signal the trend detector or an invariant reads, whatever
 * fingerprint set is in use (the zero-shot stage does not depend on it).
 */
export function detectSignals(watched: readonly string[]): string[] {
  const list = [...watched];
  for (const name of [...TREND_SIGNAL_NAMES, ...INVARIANT_SIGNALS, "nonfinite"])
    if (!list.includes(name)) list.push(name);
  return list;
}

/** What the detect stage keeps per run between steps (plain data: snapshots are JSON). */
export interface DetectState {
  /** The trend kernel's stream state, one row of `TREND_STATE.length` per watched signal. */
  trend: Float64Array;
  /** Per invariant and signal (`id:signal`): logged points in a row it has been broken. */
  broken: Record<string, number>;
  /** Per breach under way (`id:signal`): the reference it is judged against while it lasts. */
  held: Record<string, number>;
  /** Logged points in a row with a non-finite value. */
  nonfinite: number;
}

export function newDetectState(signals: number): DetectState {
  return { trend: new Float64Array(signals * W), broken: {}, held: {}, nonfinite: 0 };
}

/** The detect state as a snapshot holds it (JSON-safe). */
export interface EncodedDetectState {
  trend: string;
  broken: Record<string, number>;
  held: Record<string, number>;
  nonfinite: number;
}

export function encodeDetectState(s: DetectState): EncodedDetectState {
  return {
    trend: Buffer.from(s.trend.buffer, s.trend.byteOffset, s.trend.byteLength).toString("base64"),
    broken: { ...s.broken },
    held: { ...s.held },
    nonfinite: s.nonfinite,
  };
}

/**
 * The state back from `encodeDetectState`. Its fields' types are the snapshot
 * schema's to check (src/monitor/snapshot.ts, before anything is decoded); what
 * only the signal count can tell is checked here: a TypeError when the trend
 * bytes are not one state row per signal.
 */
export function decodeDetectState(r: EncodedDetectState, signals: number): DetectState {
  const bytes = Buffer.from(r.trend, "base64");
  if (bytes.length !== signals * W * 8)
    throw new TypeError(`detect state: trend holds ${bytes.length} bytes, expected ${signals * W * 8}`);
  const trend = new Float64Array(signals * W);
  new Uint8Array(trend.buffer).set(bytes);
  return { trend, broken: { ...r.broken }, held: { ...r.held }, nonfinite: r.nonfinite };
}

/** One step's values, as the monitor read them. */
export interface StepValues {
  readonly signals: readonly string[];
  /** Per signal: its trend code (`trendCodes`). */
  readonly codes: Int32Array;
  readonly values: Float64Array;
  readonly present: Uint8Array;
  readonly size: StepSize;
}

export interface Detection {
  /** Alarms at this step (empty: none). */
  anomalies: Anomaly[];
  /** One-offs: out of line at one point and gone at the next, or a single non-finite value. */
  notes: Note[];
  /** Per signal: z against its own trend (NaN: not judged, not reported or in warm-up). */
  trendZ: Float64Array;
  /** Non-finite values have persisted into an alarm. */
  nonfiniteAlarm: boolean;
  /** A value was non-finite at this step (alarm or note). */
  nonfiniteNow: boolean;
  /** Logged points the longest-lasting alarm has held, this one included (0: no alarm): where its episode began. */
  lasted: number;
}

/** What a signal list needs resolved once, not at every step: names to indices, the invariants' checks. */
interface SignalPlan {
  readonly index: ReadonlyMap<string, number>;
  /** Per invariant and signal of the list it is tested on: the signal's index and the state key. */
  readonly checks: readonly { inv: Invariant; name: string; s: number; key: string }[];
}

/** One plan per signal list (a monitor's list is one array for its lifetime). */
const plans = new WeakMap<readonly string[], SignalPlan>();

function planOf(signals: readonly string[]): SignalPlan {
  let plan = plans.get(signals);
  if (!plan) {
    const index = new Map(signals.map((name, s) => [name, s]));
    const checks = INVARIANTS.flatMap((inv) =>
      inv.signals.flatMap((name) => {
        const s = index.get(name);
        return s === undefined ? [] : [{ inv, name, s, key: `${inv.id}:${name}` }];
      }),
    );
    plan = { index, checks };
    plans.set(signals, plan);
  }
  return plan;
}

/** Judges one step of a run; updates `state`. */
export function detect(kernels: Kernels, state: DetectState, step: StepValues): Detection {
  const { signals, values, present } = step;
  const n = signals.length;
  const { index, checks } = planOf(signals);
  const codes = new Int32Array(n);
  const trials = new Float64Array(n);
  const seen = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    codes[s] = present[s] ? step.codes[s] : TREND_ABSENT;
    trials[s] = trialsOf(signals[s], step.size);
    seen[s] = state.trend[s * W + COUNT];
  }
  const outputs = new Float64Array(n * O);
  const flags = new Int32Array(n);
  kernels.detectors.trendStep(state.trend, values, codes, trials, outputs, flags);

  const anomalies: Anomaly[] = [];
  const notes: Note[] = [];
  const trendZ = new Float64Array(n).fill(NaN);
  let lasted = 0;
  let nonfiniteNow = false;
  for (let s = 0; s < n; s++) {
    if (!present[s]) continue;
    const x = values[s];
    if (!Number.isFinite(x) || (signals[s] === "nonfinite" && x > 0)) nonfiniteNow = true;
    if (codes[s] === TREND_ABSENT) continue;
    const row = s * O;
    const f = flags[s];
    trendZ[s] = outputs[row + Z];
    const direction = f & UP ? "up" : "down";
    if (f & ALARM) {
      const z = outputs[row + Z];
      lasted = Math.max(lasted, outputs[row + PERSIST]);
      anomalies.push({
        signal: signals[s],
        score: Math.abs(z),
        direction,
        detector: "trend",
        reason: `${formatNumber(x)}: ${formatNumber(Math.abs(z))} noise units ${direction === "up" ? "above" : "below"} its own trend (${formatNumber(outputs[row + BASELINE])}) for ${outputs[row + PERSIST]} points`,
      });
    } else if (f & ONE_OFF) {
      notes.push({
        signal: signals[s],
        kind: "one_off",
        direction,
        value: x,
        reason: `${formatNumber(x)} against a trend of ${formatNumber(outputs[row + BASELINE])}: out of line at one point and back at the next`,
      });
    }
  }

  const reading = (s: number): SignalReading => {
    const row = s * O;
    return {
      name: signals[s],
      value: values[s],
      seen: seen[s],
      out: (o) => outputs[row + OUTPUT_INDEX[o]],
    };
  };
  const other = (m: string) => {
    const t = index.get(m);
    return t !== undefined && present[t] ? reading(t) : undefined;
  };
  for (const { inv, name, s, key } of checks) {
    if (!present[s] || !Number.isFinite(values[s])) continue;
    const breach = inv.test(reading(s), other, state.held[key]);
    const count = breach ? (state.broken[key] ?? 0) + 1 : 0;
    if (count > 0) state.broken[key] = count;
    else if (key in state.broken) delete state.broken[key];
    if (breach?.reference !== undefined && Number.isFinite(breach.reference)) state.held[key] = breach.reference;
    else if (key in state.held) delete state.held[key];
    if (breach && count >= inv.persistence) {
      lasted = Math.max(lasted, count);
      anomalies.push({
        signal: name,
        score: breach.score,
        direction: breach.direction,
        detector: `invariant:${inv.id}`,
        reason: `${inv.id}: ${breach.reason}, for ${count} points`,
      });
    }
  }

  state.nonfinite = nonfiniteNow ? state.nonfinite + 1 : 0;
  const nonfiniteAlarm = state.nonfinite >= NONFINITE_PERSISTENCE;
  if (nonfiniteAlarm) lasted = Math.max(lasted, state.nonfinite);
  if (nonfiniteNow) {
    for (let s = 0; s < n; s++) {
      if (!present[s]) continue;
      const x = values[s];
      const bad = !Number.isFinite(x) || (signals[s] === "nonfinite" && x > 0);
      if (!bad) continue;
      if (nonfiniteAlarm) {
        anomalies.push({
          signal: signals[s],
          score: Number.isFinite(x) ? x : 1e6,
          direction: "up",
          detector: "nonfinite",
          reason: `${signals[s] === "nonfinite" ? `${x} non-finite cells` : formatNumber(x)}, non-finite for ${state.nonfinite} points in a row`,
        });
      } else {
        notes.push({
          signal: signals[s],
          kind: "nonfinite",
          direction: "up",
          ...(Number.isFinite(x) ? { value: x } : {}),
          reason: `${signals[s] === "nonfinite" ? `${x} non-finite cells` : formatNumber(x)} at one point: an alarm if it persists`,
        });
      }
    }
  }
  anomalies.sort((a, b) => b.score - a.score);
  return { anomalies, notes, trendZ, nonfiniteAlarm, nonfiniteNow, lasted };
}
