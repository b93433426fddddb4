import { describe, expect, it } from "vitest";
import { Adam, backward, forward, initParams, PARAMS, roundMantissa } from "../../bench/faultbench/model.js";
import { TOKEN } from "../../bench/faultbench/task.js";
import { seededRandom } from "../../bench/random.js";

/** A sequence: prompt 12+34= then a response with a tool call. */
const tokens = [1, 2, TOKEN.PLUS, 3, 4, TOKEN.EQ, TOKEN.CALC, 4, 6, TOKEN.TOOL_END, 4, 6, TOKEN.EOS];
const start = 6;

/** The loss the test differentiates: weighted log-probabilities minus an entropy bonus. */
function loss(p: Float64Array, weights: Float64Array, entropyWeights: Float64Array, temperature: number): number {
  const c = forward(p, tokens, start, temperature);
  let l = 0;
  for (let t = 0; t < weights.length; t++) l += weights[t] * c.logp[t] - entropyWeights[t] * c.entropy[t];
  return l;
}

describe("policy model", () => {
  it("has a backward pass that matches finite differences", () => {
    const rng = seededRandom(3);
    const p = initParams(rng);
    const n = tokens.length - start;
    const weights = Float64Array.from({ length: n }, () => rng.normal());
    const entropyWeights = Float64Array.from({ length: n }, () => 0.1 * rng.uniform());
    const temperature = 0.8;
    const grad = new Float64Array(PARAMS);
    backward(p, forward(p, tokens, start, temperature), weights, entropyWeights, grad);
    // Check the parameters with the largest gradients and a random sample of others.
    const indices = [...grad.keys()].sort((a, b) => Math.abs(grad[b]) - Math.abs(grad[a])).slice(0, 40);
    for (let k = 0; k < 40; k++) indices.push(rng.int(PARAMS));
    const h = 1e-6;
    for (const i of indices) {
      const saved = p[i];
      p[i] = saved + h;
      const up = loss(p, weights, entropyWeights, temperature);
      p[i] = saved - h;
      const down = loss(p, weights, entropyWeights, temperature);
      p[i] = saved;
      const numeric = (up - down) / (2 * h);
      expect(Math.abs(numeric - grad[i]), `parameter ${i}`).toBeLessThan(1e-6 + 1e-4 * Math.abs(numeric));
    }
  });

  it("lowers the loss with Adam steps along its gradient", () => {
    const p = initParams(seededRandom(5));
    const n = tokens.length - start;
    const minusOne = new Float64Array(n).fill(-1);
    const adam = new Adam();
    const before = -loss(p, minusOne, new Float64Array(n), 1);
    for (let i = 0; i < 30; i++) {
      const grad = new Float64Array(PARAMS);
      backward(p, forward(p, tokens, start, 1), minusOne, null, grad);
      adam.step(p, grad, 1e-2);
    }
    expect(-loss(p, minusOne, new Float64Array(n), 1)).toBeGreaterThan(before);
  });

  it("rounds the rollout copy to the requested mantissa bits", () => {
    const p = Float64Array.from([1.2345678, -3.3333333, 0, NaN]);
    const r = roundMantissa(p, 8);
    expect(Math.abs(r[0] - p[0]) / p[0]).toBeLessThan(2 ** -8);
    expect(r[0]).not.toBe(p[0]);
    expect(r[2]).toBe(0);
    expect(r[3]).toBeNaN();
  });
});
