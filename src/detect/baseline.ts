/**
 * The early detector: a small, honest baseline until the real monitor exists.
 *
 * Per run and per signal, a robust running baseline: the median and the MAD of
 * the signal's last `window` accepted values in the run. The first `warmup`
 * values of a signal only fill it (no alarm on that signal before). Each later
 * value gets a robust z-score,
 *
 *     z = (x - median) / max(1.4826 * MAD, floor),
 *
 * and a signal raises an alarm when |z| > `threshold` on `consecutive` steps in
 * a row. The baseline runs along with the run because healthy RL drifts: KL to
 * the reference grows from 0, entropy falls, reward rises. Out-of-line values
 * do not enter it (a shift must not become its own baseline while it is being
 * confirmed); after an alarm the signal's baseline starts over, so a lasting
 * change raises one alarm and then becomes the new normal.
 *
 * The floor keeps a perfectly flat stretch (MAD 0: a tool error rate of 0, 64
 * trajectories every step) from making any change infinitely significant. It
 * is the noise such a signal would have anyway:
 * - shares (rates over n trajectories, groups or tool calls): the binomial
 *   standard deviation sqrt(p(1-p)/n), p the median held within [1/n, 1-1/n];
 * - levels: 1% of |median|;
 * - log levels (heavy-tailed positive signals, compared in log10: a 10x jump
 *   scores the same at any level): 0.005 (about 1%).
 *
 * Any non-finite value in the step (a NaN or infinite cell of the trajectory
 * tensor, a non-finite metric) raises an alarm at once.
 *
 * It knows no fault fingerprints: it says that something changed, not what.
 */
import { featureRecord, type ScannableStep, type StepFeatures } from "../scan/scan.js";
import type { Anomaly } from "../verdict/types.js";

export interface BaselineOptions {
  /** Values of a signal that only fill its baseline (no alarm on the signal before it holds this many). */
  warmup: number;
  /** Most values of a signal the baseline holds (the latest accepted ones). */
  window: number;
  /** |z| above which a value is out of line. */
  threshold: number;
  /** Out-of-line values in a row that raise an alarm. */
  consecutive: number;
}

/** The settings chosen on the train split of the default corpus (docs/faultbench.md, "Choosing the settings"). */
export const BASELINE_DEFAULTS: Readonly<BaselineOptions> = { warmup: 8, window: 16, threshold: 12, consecutive: 1 };

/** A step as the detector reads it: the scanner's result, with the step's metrics when the trainer sent them. */
export type ObservedStep = StepFeatures<ScannableStep & { readonly metrics?: Readonly<Record<string, number>> }>;

/** The detector's verdict on one step (the detection part of a shared/spec/verdicts.md per-step verdict). */
export interface BaselineVerdict {
  run: string;
  step: number;
  /** Whether the step raised an alarm: one or more anomalies. */
  anomalous: boolean;
  anomalies: Anomaly[];
}

type Values = Readonly<Record<string, number>>;

interface Signal {
  /** The metric or feature name it is reported under. */
  name: string;
  scale: "share" | "level" | "log";
  /** The value at a step (features of the trajectory tensor first, else the step metric); undefined when not reported. */
  read(features: Values, metrics: Values): number | undefined;
  /** Shares only: how many trials the share is over at this step. */
  trials?(features: Values, metrics: Values): number | undefined;
}

/** A value from the tensor's features when the step had a tensor, else from the step metrics. */
const either = (feature: string, metric: string) => (f: Values, m: Values) => (feature in f ? f[feature] : m[metric]);
const trajectories = (f: Values, m: Values): number | undefined => f.rows ?? m.num_trajectories;

/** The signals the baseline watches: the usual suspects of the fault taxonomy (shared/spec/faults.md). */
const SIGNALS: readonly Signal[] = [
  { name: "reward_mean", scale: "share", read: either("reward.mean", "reward_mean"), trials: trajectories },
  { name: "correct_mean", scale: "share", read: either("correct.mean", "correct_mean"), trials: trajectories },
  { name: "entropy", scale: "level", read: either("entropy_mean.mean", "entropy") },
  { name: "kl_ref", scale: "level", read: either("kl_ref.mean", "kl_ref") },
  { name: "grad_norm", scale: "log", read: (_, m) => m.grad_norm },
  { name: "response_length_mean", scale: "level", read: either("length.mean", "response_length_mean") },
  { name: "group.zero_var_share", scale: "share", read: (f) => f["group.zero_var_share"], trials: (f) => f["group.count"] },
  { name: "truncation_rate", scale: "share", read: either("rate.truncation", "truncation_rate"), trials: trajectories },
  {
    name: "tool_error_rate",
    scale: "share",
    read: either("rate.tool_error", "tool_error_rate"),
    trials: (f, m) => ("tool_calls.mean" in f ? f["tool_calls.mean"] * f.rows : m.num_trajectories),
  },
  { name: "rate.format", scale: "share", read: (f) => f["rate.format"], trials: (f) => f.rows },
  { name: "logprob_gap.mean", scale: "log", read: (f) => f["logprob_gap.mean"] },
  { name: "ratio_max.max", scale: "level", read: (f) => f["ratio_max.max"] },
  { name: "num_trajectories", scale: "level", read: either("rows", "num_trajectories") },
];

const RELATIVE_FLOOR = 0.01;
const LOG_FLOOR = 0.005;
/** MAD to standard deviation under a normal distribution. */
const MAD_TO_SD = 1.4826;

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median and MAD-based spread of a window, never below the signal's floor. */
function robustScale(window: readonly number[], signal: Signal, trials: number | undefined): { center: number; spread: number } {
  const center = median([...window].sort((a, b) => a - b));
  const mad = median(window.map((x) => Math.abs(x - center)).sort((a, b) => a - b));
  let floor: number;
  if (signal.scale === "share") {
    const n = trials ?? 0;
    const p = Math.min(Math.max(center, 1 / n), 1 - 1 / n);
    floor = Math.sqrt((p * (1 - p)) / n);
  } else {
    floor = signal.scale === "log" ? LOG_FLOOR : RELATIVE_FLOOR * Math.abs(center);
  }
  return { center, spread: Math.max(MAD_TO_SD * mad, floor) };
}

/** One signal's state within one run. */
interface SignalState {
  window: number[];
  /** Out-of-line values in a row so far. */
  streak: number;
}

export class BaselineDetector {
  readonly options: Readonly<BaselineOptions>;
  private readonly runs = new Map<string, SignalState[]>();

  constructor(options: Partial<BaselineOptions> = {}) {
    const o = { ...BASELINE_DEFAULTS, ...options };
    const whole = (x: number) => Number.isInteger(x) && x >= 1;
    if (!whole(o.warmup) || !whole(o.window) || o.window < o.warmup || !whole(o.consecutive) || !(o.threshold > 0)) {
      throw new RangeError(
        `baseline detector options: warmup, window and consecutive must be whole numbers >= 1, window >= warmup, ` +
          `threshold > 0; got ${JSON.stringify(o)}`,
      );
    }
    this.options = o;
  }

  /** Reads one step (steps of a run in order; runs may interleave) and says whether it raises an alarm. */
  observe(step: ObservedStep): BaselineVerdict {
    const { run } = step.data;
    let states = this.runs.get(run);
    if (!states) this.runs.set(run, (states = SIGNALS.map(() => ({ window: [], streak: 0 }))));
    const features = featureRecord(step);
    const metrics = step.data.metrics ?? {};
    const anomalies: Anomaly[] = [];

    const nonfinite = nonfiniteCount(features, metrics);
    if (nonfinite > 0) anomalies.push({ signal: "nonfinite", score: nonfinite, direction: "up", detector: "nonfinite" });

    SIGNALS.forEach((signal, i) => {
      const raw = signal.read(features, metrics);
      // Not reported, undefined at this step (a rate with nothing to count), or non-finite (counted above).
      if (raw === undefined || !Number.isFinite(raw) || (signal.scale === "log" && raw <= 0)) return;
      const trials = signal.trials?.(features, metrics);
      if (signal.scale === "share" && !(trials !== undefined && trials >= 1)) return;
      const x = signal.scale === "log" ? Math.log10(raw) : raw;
      const anomaly = this.update(states[i], signal, x, trials);
      if (anomaly) anomalies.push(anomaly);
    });
    return { run, step: step.data.step, anomalous: anomalies.length > 0, anomalies };
  }

  /** Scores one value against the signal's baseline and updates it; returns the anomaly when an alarm is raised. */
  private update(state: SignalState, signal: Signal, x: number, trials: number | undefined): Anomaly | undefined {
    const { warmup, window, threshold, consecutive } = this.options;
    if (state.window.length < warmup) {
      state.window.push(x);
      return undefined;
    }
    const { center, spread } = robustScale(state.window, signal, trials);
    const z = (x - center) / spread;
    if (Math.abs(z) <= threshold) {
      state.streak = 0;
      state.window.push(x);
      if (state.window.length > window) state.window.shift();
      return undefined;
    }
    if (++state.streak < consecutive) return undefined;
    state.streak = 0;
    state.window = [];
    return { signal: signal.name, score: Math.abs(z), direction: z > 0 ? "up" : "down", detector: "robust_z" };
  }
}

/** Non-finite cells of the trajectory tensor (every column's `nonfinite` count) plus non-finite step metrics. */
function nonfiniteCount(features: Values, metrics: Values): number {
  let n = 0;
  for (const [name, value] of Object.entries(features)) if (name.endsWith(".nonfinite")) n += value;
  for (const value of Object.values(metrics)) if (!Number.isFinite(value)) n++;
  return n;
}
