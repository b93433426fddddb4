/**
 * What every throughput case hands back: figures measured in this run, each
 * with its unit and its relative margin of error (null where one timing, not a
 * sample, produced it), and notes on what was skipped and why.
 */
export interface Measurement {
  name: string;
  /** `native`, `wasm`, `typescript`, `rust` (the roofline), `river`, or `cli`. */
  backend: string;
  unit: string;
  value: number;
  /** Relative margin of error, in percent (benchmark.js's `rme`), or null for a single timing. */
  rme: number | null;
}

export interface CaseResult {
  measurements: Measurement[];
  /** Why a part of the case did not run (e.g. River without Python); keyed by what is missing. */
  skipped: Record<string, string>;
}

export interface CaseContext {
  /** Tiny sizes and short timings: a smoke run, not figures to quote. */
  quick: boolean;
  /** Progress, on stderr, so that `--json` keeps stdout to the one object. */
  log(line: string): void;
}

/** One throughput case of `npm run bench` (bench/run.ts runs them in order). */
export interface ThroughputCase {
  name: string;
  run(context: CaseContext): Promise<CaseResult>;
}

/** The figure named, or undefined when its case did not run. */
export function findMeasurement(
  measurements: readonly Measurement[],
  name: string,
  backend: string,
  unit: string,
): Measurement | undefined {
  return measurements.find((m) => m.name === name && m.backend === backend && m.unit === unit);
}
