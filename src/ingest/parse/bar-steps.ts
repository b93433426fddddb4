/**
 * Step numbers for a console log whose log lines carry none (the HF Trainer's
 * `{'loss': ...}` dicts), from the trainer's progress bar, merged in from
 * stderr.
 *
 * Printed at once (a terminal, `python -u`), each dict comes right after the
 * bar has been moved to its step: the bar's count is the step (`direct`).
 * Block-buffered (stdout to a file or a pipe), the dicts reach the log in
 * bursts, a buffer at a time, long after their steps: every dict of a burst
 * sees the same, later count (`buffered`). Each dict is still a step of its
 * own, and the trainer logs every `k` steps (`logging_steps`), so the n-th
 * dict is step `b + k·n`, with `b` the step the bar started from (0, or the
 * step a resumed run went on from, rounded down to a multiple of k). The bar
 * bounds k both ways:
 * - from above: a dict reaches the log after its step, so its step is at most
 *   the bar's count when its line ends (`b + k·n <= count`);
 * - from below: a flush writes out everything printed before it, so when a
 *   burst begins at count C, every step logged before C is in the log by the
 *   burst's end: `floor((C - 1 - b) / k) <= n` for its last dict n; at the end
 *   of the log, with the bar at F, `floor((F - b) / k) <= n` for the last dict.
 * The dicts of a burst are held until one k is left (in a buffered log a
 * burst or two does it); past a bound, or at the end, the largest k left
 * decides. When no k fits (the interval changed, records were lost), a dict
 * takes the bar's count, moved past the step before it where they would
 * collide. Steps are distinct and increasing either way, and every step
 * numbered so (not read from the bar as it was drawn) is counted as inferred.
 *
 * Without any bar, the dicts are numbered 1, 2, 3, ...: the optimizer step
 * only with `logging_steps=1`, and counted as inferred.
 *
 * Memory: at most `MAX_HELD` dicts held, and at most `MAX_CANDIDATES` values of k.
 */

/** Dicts held while the logging interval is not settled; past this, the best guess decides. */
export const MAX_HELD = 1024;

/** Logging intervals considered (the HF Trainer's `logging_steps`; above this, the bar count decides). */
export const MAX_CANDIDATES = 100_000;

/** How a log's steps were numbered, for the report. */
export const HOW = {
  noBar:
    "no progress bar in the log: its dicts are numbered 1, 2, 3, ... in order (the optimizer step only with logging_steps=1)",
  buffered: (k: number, b: number) =>
    `stdout was block-buffered (the dicts came in bursts after the progress bar): the n-th dict is step ` +
    `${b > 0 ? `${b} + ` : ""}${k}·n (logging interval ${k}, bounded by the bar's counts)`,
  noInterval:
    "stdout was block-buffered, and no constant logging interval fits the progress bar's counts: " +
    "steps taken from the bar's count, moved past the step before where they would collide",
  collided: "a dict came with the bar's count of the step before it: moved to the next step",
} as const;

interface Held<T> {
  item: T;
  /** A dict that starts a training step (not an evaluation or end-of-training summary, which joins one). */
  training: boolean;
  /** The bar's count when the dict's line ended. */
  count: number;
  /** Training dicts so far, this one included. */
  ordinal: number;
}

/** Receives each dict with its step, in order; and the steps numbered by inference. */
export interface NumberedOut<T> {
  emit(item: T, step: number): void;
  inferred(steps: number, how: string): void;
}

export class BarSteps<T> {
  /** The trainer's bar: the description-less bar with the largest total; its last count. */
  private barTotal = -1;
  private barCount = -1;
  /** The bar's first count above 0, less one: the step it started from (a resumed run's). */
  private startStep = 0;
  private started = false;
  private ordinal = 0;
  private mode: "direct" | "buffered" | "noInterval" = "direct";
  private held: Held<T>[] = [];
  /** Training dicts in `held`. */
  private heldTraining = 0;
  /** The logging intervals that fit so far (undefined before the first dict with a bar). */
  private alive: number[] | undefined;
  /** The burst being read: the bar's count at its first dict, and the count that all its dicts saw. */
  private burstFirstCount = -1;
  private burstCount = -1;
  private burstLastOrdinal = 0;
  /** The last training step given out. */
  private lastStep = -1;

  constructor(private readonly out: NumberedOut<T>) {}

  /** A trainer bar drawn: `inside` when it cut a dict's line (the mark of buffered stdout). */
  bar(count: number, total: number): void {
    if (total < this.barTotal) return; // an evaluation bar
    if (total > this.barTotal) this.started = false;
    // The bar is drawn at 0, then moved to the first step done: 1, or the step after a resumed run's checkpoint.
    if (!this.started && count > 0) {
      this.started = true;
      this.startStep = count - 1;
    }
    this.barTotal = total;
    this.barCount = count;
  }

  /** A dict with no step number of its own, in log order; `cut` when a bar was drawn inside its line. */
  dict(item: T, training: boolean, cut: boolean): void {
    if (this.barCount < 0) {
      // No bar (yet): numbered in order, as the only evidence there is.
      if (training) this.ordinal++;
      if (training) this.out.inferred(1, HOW.noBar);
      this.out.emit(item, Math.max(this.ordinal, 0));
      return;
    }
    const count = this.barCount;
    if (!training) {
      this.held.push({ item, training, count, ordinal: this.ordinal });
      if (this.heldTraining === 0) this.release(this.held.length);
      return;
    }
    this.ordinal++;
    const sameBurst = count === this.burstCount;
    this.prune(count);
    if (!sameBurst) {
      this.closeBurst();
      this.burstFirstCount = count;
      this.burstCount = count;
    }
    this.burstLastOrdinal = this.ordinal;
    if (this.mode === "direct" && (sameBurst || cut)) {
      this.mode = "buffered";
      this.checkAlive();
    }
    this.held.push({ item, training, count, ordinal: this.ordinal });
    this.heldTraining++;
    this.settle(false);
  }

  /** Nothing new for a while (a live log): what is held is given out when its steps cannot change any more. */
  idle(): void {
    if (this.mode === "direct") this.release(this.held.length);
  }

  /** The end of the log: everything held is given out. */
  end(): void {
    if (this.mode === "buffered" && this.alive && this.alive.length > 1) {
      // The last lower bound: every dict is in the log by now, up to the bar's last count.
      const fit = this.alive.filter((k) => Math.floor((this.barCount - base(this.startStep, k)) / k) <= this.ordinal);
      if (fit.length > 0) this.alive = fit;
    }
    this.settle(true);
    this.release(this.held.length);
  }

  /** Gives out what can be given out: in direct mode all but the newest dict; in buffered mode all, once k is known. */
  private settle(atEnd: boolean): void {
    if (this.mode === "direct") {
      // The newest dict waits for the next: were they in one burst, the bar's count is not its step.
      let last = this.held.length - 1;
      while (last >= 0 && !this.held[last].training) last--;
      if (last > 0) this.release(last);
      return;
    }
    if (this.mode === "buffered" && !atEnd && (this.alive?.length ?? 0) > 1 && this.heldTraining < MAX_HELD) return;
    this.release(this.held.length);
  }

  /** Gives out the first `n` held dicts with their steps. */
  private release(n: number): void {
    const k = this.mode === "buffered" ? largest(this.alive) : undefined;
    let inferred = 0;
    let collided = 0;
    for (const held of this.held.slice(0, n)) {
      if (!held.training) {
        // An evaluation or summary joins the training step before it; in a direct log, it may have a step of its own.
        const own = this.mode === "direct" ? held.count : -1;
        this.out.emit(held.item, Math.max(own, this.lastStep, 0));
        continue;
      }
      let step = k === undefined ? held.count : base(this.startStep, k) + k * held.ordinal;
      if (k !== undefined || this.mode === "noInterval") inferred++;
      if (step <= this.lastStep) {
        step = this.lastStep + 1;
        if (k === undefined && this.mode === "direct") collided++;
      }
      this.lastStep = step;
      this.out.emit(held.item, step);
      this.heldTraining--;
    }
    this.held = this.held.slice(n);
    if (inferred > 0) {
      this.out.inferred(inferred, k === undefined ? HOW.noInterval : HOW.buffered(k, base(this.startStep, k)));
    }
    if (collided > 0) this.out.inferred(collided, HOW.collided);
  }

  /** Keeps the intervals under which the newest dict's step is at most the bar's count. */
  private prune(count: number): void {
    const n = this.ordinal;
    if (!this.alive) {
      this.alive = [];
      for (let k = 1; k <= Math.min(count, MAX_CANDIDATES); k++) {
        if (base(this.startStep, k) + k * n <= count) this.alive.push(k);
      }
    } else {
      this.alive = this.alive.filter((k) => base(this.startStep, k) + k * n <= count);
    }
    this.checkAlive();
  }

  /** The burst just ended: every step logged before its first count is in the log by its last dict. */
  private closeBurst(): void {
    if (!this.alive || this.burstFirstCount < 0) return;
    const first = this.burstFirstCount;
    const last = this.burstLastOrdinal;
    this.alive = this.alive.filter((k) => {
      const b = base(this.startStep, k);
      return first - 1 < b || Math.floor((first - 1 - b) / k) <= last;
    });
    this.checkAlive();
  }

  private checkAlive(): void {
    if (this.alive && this.alive.length === 0 && this.mode === "buffered") this.mode = "noInterval";
  }
}

function largest(values: readonly number[] | undefined): number | undefined {
  if (!values || values.length === 0) return undefined;
  let max = values[0];
  for (const v of values) if (v > max) max = v;
  return max;
}

/** The step a run starting from `start` logs from, with logging interval k: the multiple of k at or below it. */
function base(start: number, k: number): number {
  return k * Math.floor(start / k);
}
