/**
 * Supervised warm-up: teaches the fresh policy the answer format and, from
 * part of the demonstrations, to call the calculator and copy its result. It
 * stops early on purpose, so RL starts from a partial policy (mixed rewards in
 * each group) and has something to learn.
 */
import type { Random } from "../random.js";
import { Adam, backward, forward, initParams, PARAMS } from "./model.js";
import { calculator, digits, makeProblem, TOKEN } from "./task.js";

export interface WarmupSettings {
  steps: number;
  batch: number;
  lr: number;
  /** Share of demonstrations that use the calculator. */
  toolShare: number;
}

export const DEFAULT_WARMUP: WarmupSettings = { steps: 300, batch: 32, lr: 1e-2, toolShare: 0.35 };

/** A demonstration: prompt, response, and which response tokens the policy wrote. */
function demonstration(rng: Random, toolShare: number): { tokens: number[]; start: number; mask: number[] } {
  const problem = makeProblem(-1, "normal", rng);
  const answer = digits(problem.a + problem.b);
  const tool = rng.uniform() < toolShare;
  const response = tool ? [TOKEN.CALC, ...calculator(problem, false), ...answer, TOKEN.EOS] : [...answer, TOKEN.EOS];
  const mask = response.map((_, i) => (tool && i >= 1 && i <= answer.length + 1 ? 0 : 1));
  return { tokens: [...problem.tokens, ...response], start: problem.tokens.length, mask };
}

export function warmup(rng: Random, settings: WarmupSettings = DEFAULT_WARMUP): Float64Array {
  const params = initParams(rng);
  const adam = new Adam();
  const grad = new Float64Array(PARAMS);
  for (let step = 0; step < settings.steps; step++) {
    grad.fill(0);
    for (let b = 0; b < settings.batch; b++) {
      const demo = demonstration(rng, settings.toolShare);
      const cache = forward(params, demo.tokens, demo.start, 1);
      // Cross-entropy on the policy's tokens: d(-mean logp)/d logp = -1/n.
      const n = demo.mask.reduce((a, c) => a + c, 0);
      const dlogp = Float64Array.from(demo.mask, (m) => (m ? -1 / n / settings.batch : 0));
      backward(params, cache, dlogp, null, grad);
    }
    adam.step(params, grad, settings.lr);
  }
  return params;
}
