import { describe, expect, it } from "vitest";
import { PROFILES, probationaryRows, scaledSigmoid, scoreCorpus } from "../../bench/nab/nab-score.js";

const [standard, lowFp, lowFn] = PROFILES;

/** 100 rows (15 probationary), one window over rows 40..49 (width 10, right edge 49). */
const window: [number, number] = [40, 49];
const scores = (detections: Record<number, number>) => Array.from({ length: 100 }, (_, i) => detections[i] ?? 0);

describe("NAB scoring (bench/nab/nab-score.ts)", () => {
  it("follows NAB's probationary period and scaled sigmoid", () => {
    expect(probationaryRows(100)).toBe(15);
    expect(probationaryRows(10_000)).toBe(750);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(-1)).toBeCloseTo(2 / (1 + Math.exp(-5)) - 1, 15);
    expect(scaledSigmoid(3.5)).toBe(-1);
  });

  it("gives the null detector 0 and the perfect one 100", () => {
    for (const profile of PROFILES) {
      expect(scoreCorpus([{ scores: scores({}), windows: [window] }], profile).normalized).toBe(0);
      const perfect = scoreCorpus([{ scores: scores({ 40: 1 }), windows: [window] }], profile);
      expect(perfect.normalized).toBeCloseTo(100, 12);
    }
  });

  it("scores a late detection, a false positive after the window and one before it by hand", () => {
    // Detection at row 45: y = -(49 - 45 + 1) / 10 = -0.5. False positives at row 10 (probationary: ignored),
    // row 20 (before the window: -A_FP) and row 60 (after it: A_FP * σ(|49 - 60| / 9)).
    const file = { scores: scores({ 10: 0.9, 20: 0.9, 45: 0.9, 60: 0.9 }), windows: [window] };
    const tp = scaledSigmoid(-0.5) / scaledSigmoid(-1);
    for (const profile of [standard, lowFp]) {
      const raw = tp - profile.fp + profile.fp * scaledSigmoid(11 / 9);
      const r = scoreCorpus([file], profile);
      expect(r.threshold).toBe(0.9);
      expect(r.raw).toBeCloseTo(raw, 12);
      expect(r.normalized).toBeCloseTo((100 * (raw + 1)) / 2, 10);
    }
    // With A_FN = 2 the same detections beat missing the window.
    const r = scoreCorpus([file], lowFn);
    expect(r.normalized).toBeCloseTo((100 * (tp - 0.11 + 0.11 * scaledSigmoid(11 / 9) + 2)) / 3, 10);
  });

  it("picks the corpus-wide threshold that maximises the raw score, counting only the best row per window", () => {
    // Two files: a high-scoring false positive in one, the window's earliest row scored lower in the other.
    const a = { scores: scores({ 30: 0.8 }), windows: [] };
    const b = { scores: scores({ 40: 0.5, 41: 0.7 }), windows: [window] };
    const r = scoreCorpus([a, b], standard);
    // θ = 0.5 catches the window at its first row (A_TP = 1) and pays the false positive (-0.11).
    expect(r.threshold).toBe(0.5);
    expect(r.raw).toBeCloseTo(1 - 0.11, 12);
    expect([r.tp, r.fp, r.fn]).toEqual([1, 1, 0]);
  });
});
