import { preferenceFromEnv, selectKernels } from "../../src/backend/load.js";

export const kernels = selectKernels({ prefer: preferenceFromEnv() });

/** A deterministic pseudo-random sequence (the runs must be the same in every test). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Step records of a healthy-looking run, with the reward NaN from `nanFrom` on, a checkpoint every 10 steps. */
export function runLines(run: string, steps: number, nanFrom = Infinity): Record<string, unknown>[] {
  const r = rng(run.length * 7 + 1);
  const out: Record<string, unknown>[] = [];
  for (let step = 0; step < steps; step++) {
    const reward = step >= nanFrom ? "NaN" : 0.3 + 0.002 * step + 0.02 * (r() - 0.5);
    const rewards = Array.from({ length: 16 }, () => (step >= nanFrom ? "NaN" : Math.round(r())));
    out.push({
      kind: "step",
      run,
      step,
      id: step,
      metrics: {
        reward_mean: reward,
        reward_std: 0.4 + 0.02 * (r() - 0.5),
        kl_ref: 0.01 + 0.001 * step + 0.001 * r(),
        entropy: 1.2 - 0.001 * step + 0.01 * r(),
        grad_norm: 0.8 + 0.1 * r(),
        loss: 0.1 * (r() - 0.5),
        lr: 1e-5,
      },
      trajectories: { group: Array.from({ length: 16 }, (_, i) => i >> 2), reward: rewards },
      ...(step % 10 === 9 ? { events: [{ name: "checkpoint" }] } : {}),
    });
  }
  return out;
}
