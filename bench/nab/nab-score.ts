/**
 * The Numenta Anomaly Benchmark's scoring, re-implemented from NAB v1.1
 * (`nab/sweeper.py`, `nab/optimizer.py`, `nab/runner.py`, `config/profiles.json`;
 * summary in shared/research/streaming-ad.md §1.2-1.3):
 * - the first min(floor(0.15 n), 750) rows of a file are probationary, not scored;
 * - a row inside a window (width w rows, right edge R) that is detected scores
 *   A_TP * σ(-(R - i + 1)/w) / σ(-1), only the best row per window counts, and a
 *   missed window scores -A_FN;
 * - a detected row outside every window scores -A_FP before the file's first
 *   window, and A_FP * σ(|R_p - i| / (w_p - 1)) after a window (R_p, w_p: the
 *   previous window), with σ(y) = 2 / (1 + e^{5y}) - 1, and -1 for y > 3;
 * - one threshold for the whole corpus, the best of a sweep over every distinct
 *   score (starting above all scores, at 1.1);
 * - normalised: 100 (S - S_null) / (S_perfect - S_null), S_null = -A_FN * windows
 *   (the null detector), S_perfect = A_TP * windows.
 */

export interface Profile {
  readonly name: string;
  readonly tp: number;
  readonly fn: number;
  readonly fp: number;
}

/** NAB's config/profiles.json. */
export const PROFILES: readonly Profile[] = [
  { name: "standard", tp: 1.0, fn: 1.0, fp: 0.11 },
  { name: "reward_low_FP_rate", tp: 1.0, fn: 1.0, fp: 0.22 },
  { name: "reward_low_FN_rate", tp: 1.0, fn: 2.0, fp: 0.11 },
];

/** One file: its anomaly scores and its windows as inclusive row ranges. */
export interface ScoredFile {
  readonly scores: ArrayLike<number>;
  readonly windows: readonly (readonly [first: number, last: number])[];
}

export interface ProfileResult {
  readonly profile: string;
  readonly threshold: number;
  /** Raw corpus score at the threshold. */
  readonly raw: number;
  /** NAB score, 0 for the null detector, 100 for the perfect one. */
  readonly normalized: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
}

/** Rows of a file of `rows` rows that are probationary (NAB's getProbationaryLength). */
export function probationaryRows(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 0.15 * 5000);
}

/** NAB's scaledSigmoid. */
export function scaledSigmoid(y: number): number {
  return y > 3 ? -1 : 2 / (1 + Math.exp(5 * y)) - 1;
}

/** A scored row: its anomaly score, its weight if detected, its window (-1 outside). */
interface Point {
  readonly score: number;
  readonly weight: number;
  readonly window: number;
}

/** The scorable rows of one file, their window numbered from `firstWindow`. */
function points(file: ScoredFile, profile: Profile, firstWindow: number): Point[] {
  const n = file.scores.length;
  const out: Point[] = [];
  const maxTp = scaledSigmoid(-1);
  let w = 0;
  let prev: { right: number; width: number } | undefined;
  for (let i = 0; i < n; i++) {
    while (w < file.windows.length && file.windows[w][1] < i) {
      prev = { right: file.windows[w][1], width: file.windows[w][1] - file.windows[w][0] + 1 };
      w++;
    }
    const current = w < file.windows.length && file.windows[w][0] <= i ? file.windows[w] : undefined;
    let weight: number;
    if (current) {
      const width = current[1] - current[0] + 1;
      weight = (profile.tp * scaledSigmoid(-(current[1] - i + 1) / width)) / maxTp;
    } else if (prev) {
      weight = profile.fp * scaledSigmoid(Math.abs(prev.right - i) / (prev.width - 1));
    } else {
      weight = -profile.fp;
    }
    if (i >= probationaryRows(n)) out.push({ score: file.scores[i], weight, window: current ? firstWindow + w : -1 });
  }
  return out;
}

/** Sweeps the threshold over the corpus for one profile and normalises the best raw score. */
export function scoreCorpus(files: readonly ScoredFile[], profile: Profile): ProfileResult {
  const all: Point[] = [];
  let windows = 0;
  for (const file of files) {
    all.push(...points(file, profile, windows));
    windows += file.windows.length;
  }
  all.sort((a, b) => b.score - a.score);
  // Above every score nothing is detected: every window is missed.
  let raw = -profile.fn * windows;
  let tp = 0;
  let fp = 0;
  let best = { threshold: 1.1, raw, tp, fp };
  const bestInWindow = new Map<number, number>();
  for (let i = 0; i < all.length; i++) {
    const p = all[i];
    if (p.window < 0) {
      raw += p.weight;
      fp++;
    } else {
      const seen = bestInWindow.get(p.window);
      if (seen === undefined) {
        raw += p.weight + profile.fn;
        bestInWindow.set(p.window, p.weight);
        tp++;
      } else if (p.weight > seen) {
        raw += p.weight - seen;
        bestInWindow.set(p.window, p.weight);
      }
    }
    const lastOfScore = i === all.length - 1 || all[i + 1].score !== p.score;
    if (lastOfScore && raw > best.raw) best = { threshold: p.score, raw, tp, fp };
  }
  const nullScore = -profile.fn * windows;
  const perfect = profile.tp * windows;
  return {
    profile: profile.name,
    threshold: best.threshold,
    raw: best.raw,
    normalized: (100 * (best.raw - nullScore)) / (perfect - nullScore),
    tp: best.tp,
    fp: best.fp,
    fn: windows - best.tp,
  };
}
