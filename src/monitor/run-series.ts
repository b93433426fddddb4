/**
 * A run's signal series as the monitor sees them, and the healthy
 * step-to-step noise of a signal: what `fingerprints learn` (learn.ts) and
 * `calibrate` (calibrate.ts) both learn from healthy runs.
 *
 * Steps are read as `scan` reads them (src/ingest, then the scanner's
 * trajectory features), and each step's value of every signal is read as the
 * Monitor reads it (signals.ts `readSignals`), so what is learnt is in the
 * units the monitor judges in.
 */
import type { Kernels } from "../backend/kernel.js";
import { type ReadTelemetryOptions, readTelemetry } from "../ingest/index.js";
import { quantileOfSorted } from "../scan/quantile.js";
import { scanStream } from "../scan/scan.js";
import { type MonitoredStep, readSignals } from "./signals.js";

/** One run's steps and, per step, its value of every signal of a list. */
export interface SignalSeries {
  /** The run's name in its telemetry. */
  run: string;
  steps: MonitoredStep[];
  /** [step][signal] */
  values: Float64Array[];
  present: Uint8Array[];
}

/** The finite values of `xs`, ascending. */
export function sorted(xs: readonly number[]): number[] {
  return xs.filter(Number.isFinite).sort((a, b) => a - b);
}

/** Median of ascending values (NaN when empty). */
export function median(s: readonly number[]): number {
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Reads telemetry files and returns each run in them (in the order first
 * seen) with its values of `signals`, or with `whole` every step as one run
 * (a labelled corpus's file is one run); the ingest report's summary when
 * lines were skipped.
 */
export async function readSignalSeries(
  kernels: Kernels,
  files: readonly string[],
  signals: readonly string[],
  options: ReadTelemetryOptions = {},
  whole = false,
): Promise<{ runs: SignalSeries[]; problems: string | null }> {
  const { steps, report } = readTelemetry(files, options);
  const runs = new Map<string, SignalSeries>();
  for await (const scanned of scanStream(kernels, steps)) {
    const step = scanned as MonitoredStep;
    const name = whole ? "" : step.data.run;
    let run = runs.get(name);
    if (!run) {
      run = { run: step.data.run, steps: [], values: [], present: [] };
      runs.set(name, run);
    }
    const values = new Float64Array(signals.length);
    const present = new Uint8Array(signals.length);
    readSignals(step, signals, values, present);
    run.steps.push(step);
    run.values.push(values);
    run.present.push(present);
  }
  return { runs: [...runs.values()], problems: report.skipped > 0 ? report.summary() : null };
}

/** The values of signal `c` at the steps where the run reported it. */
export function reportedValues(r: Pick<SignalSeries, "values" | "present">, c: number): number[] {
  return r.values.flatMap((v, t) => (r.present[t][c] ? [v[c]] : []));
}

/** Signal `c`'s change from each step to the next over the runs, where both steps reported it and the change is finite. */
export function stepChanges(runs: readonly Pick<SignalSeries, "values" | "present">[], c: number): number[] {
  const changes: number[] = [];
  for (const r of runs) {
    for (let t = 1; t < r.values.length; t++) {
      const d = r.values[t][c] - r.values[t - 1][c];
      if (r.present[t][c] && r.present[t - 1][c] && Number.isFinite(d)) changes.push(d);
    }
  }
  return changes;
}

/**
 * Step-to-step noise of signal `c` over healthy runs: the robust standard
 * deviation of first differences over sqrt 2, at least the 99th percentile of
 * |difference| / (2.58 sqrt 2) so that a heavy-tailed healthy signal is not
 * judged by its quiet stretches, and at least 0.1% of the signal's level.
 */
export function healthyNoise(healthy: readonly Pick<SignalSeries, "values" | "present">[], c: number): number {
  const s = sorted(stepChanges(healthy, c).map(Math.abs));
  const robust = (median(s) * 1.4826) / Math.SQRT2;
  const tail = quantileOfSorted(s, 0.99) / 2.58 / Math.SQRT2;
  const level = median(sorted(healthy.flatMap((r) => reportedValues(r, c))));
  return Math.max(
    Number.isFinite(robust) ? robust : 0,
    Number.isFinite(tail) ? tail : 0,
    1e-3 * Math.abs(level) || 0,
    1e-9,
  );
}
