/**
 * Reading traces: the few questions every rule asks of a signal (where is it
 * at a step, how far did it go during the episode, was it already off before
 * the alarm). Rules stay short and all read signals the same way.
 *
 * "The episode" is the steps from the alarm step to the step being judged; a
 * signal's deviation is judged by its peak there, because a spike that set off
 * the alarm may be back to normal a step later and still explains it.
 */
import { BAND, ramp, zStrength } from "./confidence.js";
import type { DiagnosisContext, SignalTrace } from "./context.js";

export interface Point {
  readonly step: number;
  readonly value: number;
  /** NaN when unknown; +Infinity for a non-finite value. */
  readonly z: number;
}

export type Direction = "up" | "down" | "either";

/** The first of `names` the run logs (step metric before feature: see signals.ts). */
export function pick(ctx: DiagnosisContext, names: readonly string[]): SignalTrace | undefined {
  for (const name of names) {
    const trace = ctx.signal(name);
    if (trace && trace.steps.length > 0) return trace;
  }
  return undefined;
}

/** The trace's points with from <= step <= to. */
export function points(trace: SignalTrace, from = -Infinity, to = Infinity): Point[] {
  const out: Point[] = [];
  const n = Math.min(trace.steps.length, trace.values.length);
  for (let i = 0; i < n; i++) {
    const step = trace.steps[i];
    if (step >= from && step <= to) out.push({ step, value: trace.values[i], z: trace.z[i] ?? NaN });
  }
  return out;
}

/** The last point at or before `step`. */
export function at(trace: SignalTrace, step: number): Point | undefined {
  const before = points(trace, -Infinity, step);
  return before[before.length - 1];
}

/** The episode's points (alarm step to judged step); the latest point before it when the trace has none there. */
export function span(ctx: DiagnosisContext, trace: SignalTrace): Point[] {
  const inside = points(trace, ctx.alarmStep, ctx.step);
  if (inside.length > 0) return inside;
  const last = at(trace, ctx.step);
  return last ? [last] : [];
}

/** The points before the alarm: the healthy stretch the monitor keeps. */
export function before(ctx: DiagnosisContext, trace: SignalTrace): Point[] {
  return points(trace, -Infinity, ctx.alarmStep - 1);
}

const known = (p: Point) => !Number.isNaN(p.z);
const finiteValue = (p: Point) => Number.isFinite(p.value);

/** Signed deviation in a direction: positive when the point moved that way. */
function toward(z: number, dir: Direction): number {
  return dir === "up" ? z : dir === "down" ? -z : Math.abs(z);
}

/** Whether a point is out of the healthy band in a direction. */
export function out(p: Point | undefined, dir: Direction, band = BAND): boolean {
  return p !== undefined && known(p) && toward(p.z, dir) > band;
}

/**
 * The episode's point deviating most in `dir` (by z), among finite values:
 * non-finite values belong to the nan_inf rule, not to a level shift.
 */
export function peak(ctx: DiagnosisContext, trace: SignalTrace, dir: Direction): Point | undefined {
  let best: Point | undefined;
  for (const p of span(ctx, trace)) {
    if (!known(p) || !finiteValue(p)) continue;
    if (!best || toward(p.z, dir) > toward(best.z, dir)) best = p;
  }
  return best;
}

/** The judged step's point (or the latest before it). */
export function now(ctx: DiagnosisContext, trace: SignalTrace): Point | undefined {
  return at(trace, ctx.step);
}

/** A signal's z at a step (the latest point at or before it); NaN when unknown. */
export function zAt(trace: SignalTrace | undefined, step: number): number {
  const p = trace ? at(trace, step) : undefined;
  return p && Number.isFinite(p.value) ? p.z : NaN;
}

/** How a signal moved over the episode, and how strongly (0..1). */
export interface Move {
  readonly trace: SignalTrace;
  readonly point: Point;
  /** z at that point (NaN when judged from the value alone). */
  readonly z: number;
  readonly strength: number;
  /** Whether it moved above healthy (else below). */
  readonly up: boolean;
}

/**
 * When the monitor knows no z for a signal (no healthy prior for it, detector
 * in warm-up), a move can still be judged from the value against the healthy
 * reference: by difference (`abs`, for rates and correlations) or by ratio
 * (`ratio`, in log10, for positive heavy-tailed signals), from `min` (the move
 * starts to count) to `full` (full strength).
 */
export interface MoveOptions {
  abs?: { min: number; full: number };
  ratio?: { min: number; full: number };
  /** Reference to use when the trace's is unknown (a nominal healthy value such as 0 or 1). */
  nominal?: number;
}

/**
 * Whether a signal left the healthy band in `dir` during the episode.
 *
 * With a known z anywhere in the episode, z decides (the monitor's judgement
 * of healthy noise is better than a fixed threshold): out of band, strength
 * ramps from |z| = 3 to 10. Without z, the value against the reference decides
 * when `options` say how; otherwise the move is unknown (undefined).
 */
export function moved(
  ctx: DiagnosisContext,
  trace: SignalTrace | undefined,
  dir: Direction,
  options: MoveOptions = {},
): Move | undefined {
  if (!trace) return undefined;
  const pts = span(ctx, trace).filter(finiteValue);
  if (pts.some(known)) {
    const p = peak(ctx, trace, dir);
    return p && out(p, dir) ? { trace, point: p, z: p.z, strength: zStrength(p.z), up: p.z > 0 } : undefined;
  }
  const ref = Number.isFinite(trace.reference) ? trace.reference : options.nominal;
  if (ref === undefined || !Number.isFinite(ref)) return undefined;
  let best: { p: Point; d: number } | undefined;
  for (const p of pts) {
    let d: number;
    if (options.ratio) {
      // A value of exactly 0 against a positive reference is infinitely lower (a collapse).
      if (!(p.value >= 0 && ref > 0)) continue;
      d = p.value === 0 ? -Infinity : Math.log10(p.value / ref);
    } else if (options.abs) {
      d = p.value - ref;
    } else {
      return undefined;
    }
    if (!best || toward(d, dir) > toward(best.d, dir)) best = { p, d };
  }
  const scale = options.ratio ?? options.abs;
  if (!best || !scale || toward(best.d, dir) < scale.min) return undefined;
  return {
    trace,
    point: best.p,
    z: NaN,
    strength: Math.max(1e-3, ramp(toward(best.d, dir), scale.min, scale.full)),
    up: best.d > 0,
  };
}

/**
 * Whether the signal was already out of band (in `dir`) at every known point
 * up to the alarm, the earliest included: the run never showed it healthy, the
 * mark of a misconfiguration present from the start.
 */
export function fromStart(ctx: DiagnosisContext, trace: SignalTrace | undefined, dir: Direction): boolean {
  if (!trace) return false;
  const upToAlarm = points(trace, -Infinity, ctx.alarmStep).filter((p) => known(p) && finiteValue(p));
  return upToAlarm.length > 0 && upToAlarm.every((p) => out(p, dir));
}

/** Whether the signal was seen healthy (in band) before the alarm: the fault appeared mid-run. */
export function healthyBefore(ctx: DiagnosisContext, trace: SignalTrace | undefined): boolean {
  if (!trace) return false;
  return before(ctx, trace).some((p) => known(p) && finiteValue(p) && Math.abs(p.z) <= BAND);
}

/**
 * Whether a value is non-finite *data*. The monitor marks a step where a
 * signal was not reported with z = NaN and a non-finite reported value with
 * z = +Infinity; a hand-built trace without any z counts every non-finite
 * value. A NaN tensor feature only means "not computable", so features count
 * only when infinite.
 */
export function nonfiniteData(trace: SignalTrace, p: Point): boolean {
  if (Number.isFinite(p.value)) return false;
  const isFeature = trace.name.includes(".");
  if (isFeature) return p.value === Infinity || p.value === -Infinity;
  return !Number.isNaN(p.z) || trace.z.every((z) => Number.isNaN(z));
}

/**
 * A signal's deviation at a step in z units: the monitor's z when known, else
 * (value - reference) / `scale`, a stand-in noise scale (for shares such as
 * correctness, 0.03: a 10-point move is about 3σ); NaN when neither is known.
 */
export function deviation(trace: SignalTrace | undefined, step: number, scale: number): number {
  if (!trace) return NaN;
  const p = at(trace, step);
  if (!p || !Number.isFinite(p.value)) return NaN;
  if (!Number.isNaN(p.z)) return p.z;
  return Number.isFinite(trace.reference) ? (p.value - trace.reference) / scale : NaN;
}

/** The z of a move for comparisons, falling back on `deviation` with `scale`. */
export function moveZ(m: Move, scale: number): number {
  return Number.isNaN(m.z) ? deviation(m.trace, m.point.step, scale) : m.z;
}
