/**
 * Supervised warm-up: teaches the fresh policy the answer format and, from
 * part of the demonstrations, to call the calculator and copy its result. It
 * stops early on purpose, so RL starts from a partial policy (mixed rewards in
 * each group) and has something to learn.
 */
import type { Random } from "../random.js";
import { Adam, backward, forward, H1, initParams } from "./model.js";
import { calculator, digits, TASKS, type Task, TOKEN } from "./task.js";

export interface WarmupSettings {
  steps: number;
  batch: number;
  lr: number;
  /** Share of demonstrations that use the calculator. */
  toolShare: number;
}

export const DEFAULT_WARMUP: WarmupSettings = { steps: 300, batch: 32, lr: 1e-2, toolShare: 0.35 };

/**
 * A demonstration: prompt, response, and which response tokens the policy
 * wrote. A task with no tool has none in its demonstrations.
 */
function demonstration(
  rng: Random,
  toolShare: number,
  task: Task,
): { tokens: number[]; start: number; mask: number[] } {
  const problem = task.makeProblem(-1, "normal", rng);
  const answer = digits(problem.answer);
  const tool = task.tool && rng.uniform() < toolShare;
  const response = tool ? [TOKEN.CALC, ...calculator(problem, false), ...answer, TOKEN.EOS] : [...answer, TOKEN.EOS];
  const mask = response.map((_, i) => (tool && i >= 1 && i <= answer.length + 1 ? 0 : 1));
  return { tokens: [...problem.tokens, ...response], start: problem.tokens.length, mask };
}

export function warmup(
  rng: Random,
  settings: WarmupSettings = DEFAULT_WARMUP,
  task: Task = TASKS.add,
  width = H1,
): Float64Array {
  const params = initParams(rng, width);
  const adam = new Adam(params.length);
  const grad = new Float64Array(params.length);
  for (let step = 0; step < settings.steps; step++) {
    grad.fill(0);
    for (let b = 0; b < settings.batch; b++) {
      const demo = demonstration(rng, settings.toolShare, task);
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
