/**
 * How much to widen a spread estimated from few runs: the one-sided 95% upper
 * bound of a standard deviation estimated with `dof` degrees of freedom is
 * sqrt(dof / q) times the estimate, q the 5% quantile of chi-square(dof)
 * (4.41 at 2 degrees of freedom, 2.37 at 4). Written here rather than taken
 * from a statistics package: only whole degrees of freedom are needed, where
 * the gamma function is exact and the lower incomplete gamma's series
 * converges fast below the median.
 */

/** Gamma(k / 2) for a whole k >= 1, exactly (from Gamma(1) = 1 and Gamma(1/2) = sqrt(pi)). */
function gammaHalf(k: number): number {
  let g = k % 2 ? Math.sqrt(Math.PI) : 1;
  for (let a = k % 2 ? 0.5 : 1; a < k / 2; a++) g *= a;
  return g;
}

/** P(chi-square(dof) <= x): the regularized lower incomplete gamma P(dof/2, x/2) by its power series. */
export function chiSquareCdf(x: number, dof: number): number {
  if (!(x > 0)) return 0;
  const a = dof / 2;
  const y = x / 2;
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 1000 && term > sum * 1e-15; n++) {
    term *= y / (a + n);
    sum += term;
  }
  return Math.min(1, (sum * Math.exp(-y + a * Math.log(y))) / gammaHalf(dof));
}

/** The p-quantile of chi-square(dof) for p at most 0.5 (bisection on the cdf). */
export function chiSquareLowerQuantile(p: number, dof: number): number {
  let lo = 0;
  let hi = dof; // the median of chi-square(dof) is below dof
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (chiSquareCdf(mid, dof) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Factor by which a standard deviation estimated with `dof` degrees of freedom is widened to its 95% upper bound. */
export function spreadWidening(dof: number): number {
  return Math.sqrt(dof / chiSquareLowerQuantile(0.05, dof));
}
