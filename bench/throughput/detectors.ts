/**
 * Detector-bank throughput, native and wasm, in observations (updates) per
 * second: `batch` pushes 10,000 observations a call (a monitor pushing a step
 * for many runs at once), `per step` pushes one run's 10 signals a call (a
 * monitor fed one run's step at a time). The same series then goes to River
 * (river.ts) in the same run.
 */
import {
  DETECT_OUTPUTS,
  type DetectorBank,
  type Kernels,
  loadNativeKernels,
  loadWasmKernels,
} from "../../src/index.js";
import type { CaseContext, CaseResult, Measurement, ThroughputCase } from "./measurement.js";
import { riverRates } from "./river.js";
import { type DetectorSeries, detectorSeries, SERIES_RUNS, SERIES_SIGNALS } from "./series.js";
import { rateOf } from "./timing.js";

const BATCH = 10_000;
const BATCH_TOTAL = 2_000_000;
const PER_STEP_TOTAL = 200_000;

export const DETECTORS_BATCH = "detectors batch";
export const DETECTORS_PER_STEP = "detectors per step";

let sink = 0;

/** Pushes of `size` observations each, views made once so the timing holds only the pushes. */
function pushes(series: DetectorSeries, size: number) {
  const calls: { runs: Uint32Array; signals: Uint32Array; values: Float64Array }[] = [];
  for (let i = 0; i + size <= series.values.length; i += size) {
    calls.push({
      runs: series.runs.subarray(i, i + size),
      signals: series.signals.subarray(i, i + size),
      values: series.values.subarray(i, i + size),
    });
  }
  return calls;
}

function pushRate(kernels: Kernels, series: DetectorSeries, size: number, quick: boolean) {
  const bank: DetectorBank = kernels.detectors.createBank({ max_runs: SERIES_RUNS, max_signals: SERIES_SIGNALS });
  const outputs = new Float64Array(size * DETECT_OUTPUTS.length);
  const flags = new Int32Array(size);
  const calls = pushes(series, size);
  const rate = rateOf(
    `${kernels.name} push ${size}`,
    () => {
      for (const c of calls) bank.push(c.runs, c.signals, c.values, outputs, flags);
      sink += flags[0];
    },
    quick,
  );
  bank.free();
  return { hz: rate.hz * calls.length * size, rme: rate.rme };
}

async function run({ quick, log }: CaseContext): Promise<CaseResult> {
  const total = quick ? 20_000 : BATCH_TOTAL;
  const series = detectorSeries(total);
  const perStep = detectorSeries(quick ? 2_000 : PER_STEP_TOTAL);
  const measurements: Measurement[] = [];
  for (const kernels of [loadNativeKernels(), loadWasmKernels()]) {
    for (const [name, input, size] of [
      [DETECTORS_BATCH, series, quick ? 1_000 : BATCH],
      [DETECTORS_PER_STEP, perStep, SERIES_SIGNALS],
    ] as const) {
      const { hz, rme } = pushRate(kernels, input, size, quick);
      measurements.push({ name, backend: kernels.name, unit: "updates/s", value: hz, rme });
      log(`  ${name} ${kernels.name.padEnd(6)} ${(hz / 1e6).toFixed(2).padStart(8)} M updates/s  ±${rme.toFixed(1)}%`);
    }
  }
  const river = await riverRates(series, { quick, log });
  if (sink === 0.5) log(String(sink));
  return { measurements: [...measurements, ...river.measurements], skipped: river.skipped };
}

export const detectorsCase: ThroughputCase = { name: "detectors", run };
