/**
 * Scoring one univariate series for anomalies with the streaming detectors
 * (`rftfm score-series`, docs/detectors.md): items in, each with its anomaly
 * score in [0, 1] out, in order. Streaming: an item's score uses only earlier
 * items, and memory holds one chunk.
 */
import type { Kernels, SeriesScorer } from "../backend/kernel.js";

/** Items scored per kernel call: large enough to amortise the call, small enough to stream. */
const CHUNK = 4096;

/** An item of the series and its anomaly score. */
export interface ScoredItem<T> {
  item: T;
  score: number;
}

function* scored<T>(scorer: SeriesScorer, chunk: readonly T[], value: (item: T) => number): Generator<ScoredItem<T>> {
  const values = Float64Array.from(chunk, value);
  const scores = new Float64Array(chunk.length);
  scorer.score(values, scores);
  for (let i = 0; i < chunk.length; i++) yield { item: chunk[i], score: scores[i] };
}

/**
 * Scores the series `items` (whose values `value` reads; a non-finite value is
 * data, scored as such) with one series scorer of `kernels`, freed when the
 * iteration ends, however it ends.
 */
export async function* scoreSeries<T>(
  kernels: Kernels,
  items: AsyncIterable<T> | Iterable<T>,
  value: (item: T) => number,
): AsyncGenerator<ScoredItem<T>> {
  const scorer = kernels.detectors.createSeriesScorer();
  try {
    let chunk: T[] = [];
    for await (const item of items) {
      chunk.push(item);
      if (chunk.length === CHUNK) {
        yield* scored(scorer, chunk, value);
        chunk = [];
      }
    }
    yield* scored(scorer, chunk, value);
  } finally {
    scorer.free();
  }
}
