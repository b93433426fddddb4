/**
 * The kernels' quantile (native/src/scan/quantile.rs, wasm/assembly/scan):
 * linear interpolation between order statistics, h = (n - 1) q,
 * v[floor h] + frac(h) (v[floor h + 1] - v[floor h]) ("type 7", numpy's
 * default), for TypeScript callers that need a quantile the scan does not
 * report. One definition, so that a quantile means the same everywhere.
 */

/** The q-quantile (0 <= q <= 1) of `sorted` (ascending, finite); NaN when empty. */
export function quantileOfSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const frac = h - lo;
  // As the kernels: the next order statistic only when h falls between two.
  return frac > 0 ? sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
}
