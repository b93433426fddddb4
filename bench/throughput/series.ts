/**
 * The detector benchmark's input, shared by the rftfm detectors and River:
 * 200 runs x 10 signals, observations interleaved the way a monitor pushes a
 * step's signals for many runs (run-major within a step), noise with rare
 * spikes and a level shift in every 7th run after the midpoint.
 */
import { seededRandom } from "../random.js";

export const SERIES_RUNS = 200;
export const SERIES_SIGNALS = 10;

export interface DetectorSeries {
  runs: Uint32Array;
  signals: Uint32Array;
  values: Float64Array;
}

export function detectorSeries(total: number, seed = 1): DetectorSeries {
  const random = seededRandom(seed);
  const runs = new Uint32Array(total);
  const signals = new Uint32Array(total);
  const values = new Float64Array(total);
  for (let i = 0; i < total; i++) {
    runs[i] = Math.floor(i / SERIES_SIGNALS) % SERIES_RUNS;
    signals[i] = i % SERIES_SIGNALS;
    const spike = random.uniform() < 0.001 ? 10 : 0;
    const shift = i > total / 2 && runs[i] % 7 === 0 ? 3 : 0;
    values[i] = random.normal() + spike + shift;
  }
  return { runs, signals, values };
}
