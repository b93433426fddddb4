/**
 * One signal's curve in bounded memory: the values of a run's steps, as they
 * come, in at most `maxPoints` buckets. Until a run has more steps than that,
 * each bucket is one step, as logged. Past it, neighbouring buckets merge in
 * pairs (the bucket width doubles), and each keeps the mean of its finite values
 * with their min and max, the envelope a downsampled curve is drawn with, so a
 * spike that the mean smooths away still shows. A bucket is drawn at its last
 * step. Non-finite values are data: counted per bucket, kept out of the
 * mean, min and max.
 */

/** A curve as the report carries it: parallel arrays, one entry per point. */
export interface CurvePoints {
  /** The step each point is drawn at (the last step of its bucket). */
  steps: number[];
  /** Mean of the bucket's finite values; null when it had none. */
  value: (number | null)[];
  /** Envelope of the bucket's finite values (equal to `value` for one-step buckets). */
  min: (number | null)[];
  max: (number | null)[];
  /** Non-finite values in the bucket (NaN, Infinity), where there were any. */
  nonfinite: { step: number; count: number }[];
}

export class Envelope {
  private steps: number[] = [];
  private sums: number[] = [];
  private finite: number[] = [];
  private counts: number[] = [];
  private mins: number[] = [];
  private maxs: number[] = [];
  private nonfinite: number[] = [];
  /** Observations per bucket (a power of two). */
  private width = 1;

  constructor(readonly maxPoints: number) {
    if (!Number.isInteger(maxPoints) || maxPoints < 2)
      throw new Error(`maxPoints must be an integer >= 2, got ${maxPoints}`);
  }

  /** Steps per point: 1 until the run outgrew `maxPoints`. */
  get bucketWidth(): number {
    return this.width;
  }

  get downsampled(): boolean {
    return this.width > 1;
  }

  get length(): number {
    return this.steps.length;
  }

  /** The last step seen, or -Infinity. */
  get lastStep(): number {
    return this.steps.length ? this.steps[this.steps.length - 1] : -Infinity;
  }

  add(step: number, value: number): void {
    const n = this.steps.length;
    if (n === 0 || this.counts[n - 1] >= this.width) {
      if (n >= this.maxPoints) this.mergePairs();
      this.steps.push(step);
      this.sums.push(0);
      this.finite.push(0);
      this.counts.push(0);
      this.mins.push(Infinity);
      this.maxs.push(-Infinity);
      this.nonfinite.push(0);
    }
    const i = this.steps.length - 1;
    this.steps[i] = step;
    this.counts[i]++;
    if (Number.isFinite(value)) {
      this.sums[i] += value;
      this.finite[i]++;
      if (value < this.mins[i]) this.mins[i] = value;
      if (value > this.maxs[i]) this.maxs[i] = value;
    } else {
      this.nonfinite[i]++;
    }
  }

  /**
   * Drops the buckets that reach `step` or later: a log that repeats steps (a
   * resumed run) replaces them. Exact while buckets are one step; past that, the
   * bucket straddling `step` goes too.
   */
  truncateFrom(step: number): void {
    let keep = this.steps.length;
    while (keep > 0 && this.steps[keep - 1] >= step) keep--;
    for (const a of [this.steps, this.sums, this.finite, this.counts, this.mins, this.maxs, this.nonfinite])
      a.length = keep;
  }

  private mergePairs(): void {
    const n = this.steps.length;
    const half = Math.ceil(n / 2);
    for (let j = 0; j < half; j++) {
      const a = 2 * j;
      const b = a + 1;
      if (b >= n) {
        this.move(j, a);
        continue;
      }
      this.steps[j] = this.steps[b];
      this.sums[j] = this.sums[a] + this.sums[b];
      this.finite[j] = this.finite[a] + this.finite[b];
      this.counts[j] = this.counts[a] + this.counts[b];
      this.mins[j] = Math.min(this.mins[a], this.mins[b]);
      this.maxs[j] = Math.max(this.maxs[a], this.maxs[b]);
      this.nonfinite[j] = this.nonfinite[a] + this.nonfinite[b];
    }
    for (const a of [this.steps, this.sums, this.finite, this.counts, this.mins, this.maxs, this.nonfinite])
      a.length = half;
    this.width *= 2;
  }

  private move(to: number, from: number): void {
    this.steps[to] = this.steps[from];
    this.sums[to] = this.sums[from];
    this.finite[to] = this.finite[from];
    this.counts[to] = this.counts[from];
    this.mins[to] = this.mins[from];
    this.maxs[to] = this.maxs[from];
    this.nonfinite[to] = this.nonfinite[from];
  }

  points(): CurvePoints {
    const out: CurvePoints = { steps: [...this.steps], value: [], min: [], max: [], nonfinite: [] };
    for (let i = 0; i < this.steps.length; i++) {
      const has = this.finite[i] > 0;
      out.value.push(has ? this.sums[i] / this.finite[i] : null);
      out.min.push(has ? this.mins[i] : null);
      out.max.push(has ? this.maxs[i] : null);
      if (this.nonfinite[i] > 0) out.nonfinite.push({ step: this.steps[i], count: this.nonfinite[i] });
    }
    return out;
  }
}
