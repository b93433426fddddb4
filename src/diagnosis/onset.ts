/**
 * When did the fault start? The alarm is when the monitor became sure, which
 * can be several steps after the implicated signals began to move (a drift
 * stays inside the alarm threshold for a while). Rollback targets come from
 * this, so it errs early: it walks back from the alarm over the steps where
 * any implicated signal was out of the healthy band (|z| > 3, or a non-finite
 * value), tolerating one in-band step (noise) in between, and returns the
 * earliest step reached. Never after the alarm step; undefined when no
 * implicated signal was out of band at or shortly before the alarm.
 */
import { BAND } from "./confidence.js";
import type { DiagnosisContext, SignalTrace } from "./context.js";
import { nonfiniteData, points } from "./trace.js";

/** In-band steps tolerated inside a run of out-of-band steps. */
const GAP = 1;

export function estimateOnset(
  ctx: DiagnosisContext,
  traces: readonly (SignalTrace | undefined)[],
  band = BAND,
): number | undefined {
  let onset: number | undefined;
  for (const trace of traces) {
    if (!trace) continue;
    const pts = points(trace, -Infinity, ctx.alarmStep);
    let earliest: number | undefined;
    let gap = 0;
    for (let i = pts.length - 1; i >= 0; i--) {
      const p = pts[i];
      const off = Number.isFinite(p.value) ? Math.abs(p.z) > band : nonfiniteData(trace, p);
      if (off) {
        earliest = p.step;
        gap = 0;
      } else if (++gap > GAP) {
        break;
      }
    }
    if (earliest !== undefined && (onset === undefined || earliest < onset)) onset = earliest;
  }
  return onset;
}
