/**
 * The monitor's own latency, as /metrics reports it: the last N observe times
 * in a ring (quantiles over a bounded window, so memory stays fixed however
 * long the server runs) plus a running count and sum over all of them.
 */
export class LatencyWindow {
  private readonly ring: Float64Array;
  private next = 0;
  private filled = 0;
  count = 0;
  sum = 0;

  constructor(size: number) {
    this.ring = new Float64Array(size);
  }

  add(seconds: number): void {
    this.ring[this.next] = seconds;
    this.next = (this.next + 1) % this.ring.length;
    if (this.filled < this.ring.length) this.filled++;
    this.count++;
    this.sum += seconds;
  }

  /** The q-quantile (nearest rank) of the window, NaN while it is empty. */
  quantile(q: number): number {
    if (this.filled === 0) return NaN;
    const sorted = this.ring.slice(0, this.filled).sort();
    return sorted[Math.min(this.filled - 1, Math.max(0, Math.ceil(q * this.filled) - 1))];
  }
}
