/**
 * Timing helpers: benchmark.js for rates (it picks the iteration count and
 * reports a margin of error); latency percentiles are taken from plain per-call
 * timings with the library's quantile (benchmark.js reports means only).
 */
import Benchmark from "benchmark";

export interface Rate {
  /** Calls per second. */
  hz: number;
  /** Relative margin of error, in percent. */
  rme: number;
}

/** How long benchmark.js samples each case: short in a smoke run. */
export function samplingFor(quick: boolean): { maxTime: number; minSamples: number } {
  return quick ? { maxTime: 0.05, minSamples: 2 } : { maxTime: 1.5, minSamples: 5 };
}

/** Calls per second of `fn`, sampled by benchmark.js (synchronously). */
export function rateOf(name: string, fn: () => void, quick: boolean): Rate {
  const bench = new Benchmark(name, fn, { ...samplingFor(quick), initCount: 1 });
  bench.run({ async: false });
  const error = (bench as Benchmark & { error?: unknown }).error;
  if (error) throw error instanceof Error ? error : new Error(`${name}: ${String(error)}`);
  return { hz: bench.hz, rme: bench.stats.rme };
}
