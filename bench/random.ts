/**
 * Seeded randomness for benchmarks, synthetic data and the fault benchmark:
 * reproducible streams from pure-rand's Mersenne Twister (which, unlike the
 * xorshift family, mixes small integer seeds well from the first draw).
 */
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { mersenne } from "pure-rand/generator/mersenne";

export interface Random {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export function seededRandom(seed: number): Random {
  const rng = mersenne(seed);
  const uniform = () => uniformFloat64(rng);
  return {
    uniform,
    // 1 - u keeps the logarithm's argument in (0, 1].
    normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()),
    int: (n) => Math.floor(uniform() * n),
  };
}
