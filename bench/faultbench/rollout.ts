/**
 * Rollout: the inference engine's side. Samples responses from the rollout
 * copy of the weights, runs the calculator when the policy calls it, and keeps
 * the engine's own log-probabilities of what it sampled.
 */
import type { Random } from "../random.js";
import { Sampler } from "./model.js";
import { calculator, type Problem, TOKEN } from "./task.js";

export interface Trajectory {
  problem: Problem;
  /** Response tokens: the policy's and, after each CALC, the environment's. */
  response: number[];
  /** true where the environment appended the token (not a policy action). */
  observation: boolean[];
  /** The rollout engine's log-probability of each response token (NaN for observation tokens). */
  rolloutLogp: number[];
  /** Mean entropy of the engine's next-token distributions over policy tokens. */
  entropy: number;
  toolCalls: number;
  toolErrors: number;
  /** Hit the response length cap without EOS. */
  truncated: boolean;
}

/** Draws a token from `probs`; a distribution that is not finite (NaN weights) ends the response. */
function draw(probs: Float64Array, rng: Random): number {
  let u = rng.uniform();
  for (let v = 0; v < probs.length; v++) {
    const p = probs[v];
    if (!(p >= 0)) return TOKEN.EOS;
    u -= p;
    if (u < 0) return v;
  }
  return TOKEN.EOS;
}

export interface RolloutSettings {
  temperature: number;
  maxResponseLength: number;
  /** Probability that a calculator call fails (tool_failure). */
  toolFailureRate: number;
  /** Whether the environment has the calculator (default true); without it CALC is an ordinary token. */
  tool?: boolean;
}

export function sampleResponse(
  problem: Problem,
  weights: Float64Array,
  settings: RolloutSettings,
  rng: Random,
): Trajectory {
  const sampler = new Sampler(weights, settings.temperature);
  for (const t of problem.tokens) sampler.push(t);
  const traj: Trajectory = {
    problem,
    response: [],
    observation: [],
    rolloutLogp: [],
    entropy: 0,
    toolCalls: 0,
    toolErrors: 0,
    truncated: false,
  };
  let entropySum = 0;
  let policyTokens = 0;
  const append = (token: number, observed: boolean, logp: number) => {
    traj.response.push(token);
    traj.observation.push(observed);
    traj.rolloutLogp.push(logp);
    sampler.push(token);
  };
  while (traj.response.length < settings.maxResponseLength) {
    entropySum += sampler.next();
    policyTokens++;
    const token = draw(sampler.probs, rng);
    append(token, false, Math.log(sampler.probs[token]));
    if (token === TOKEN.EOS) return finish(traj, entropySum, policyTokens);
    if (token === TOKEN.CALC && settings.tool !== false) {
      traj.toolCalls++;
      const fails = settings.toolFailureRate > 0 && rng.uniform() < settings.toolFailureRate;
      if (fails) traj.toolErrors++;
      for (const t of calculator(problem, fails)) {
        if (traj.response.length >= settings.maxResponseLength) break;
        append(t, true, NaN);
      }
    }
  }
  traj.truncated = true;
  return finish(traj, entropySum, policyTokens);
}

function finish(traj: Trajectory, entropySum: number, policyTokens: number): Trajectory {
  traj.entropy = entropySum / policyTokens;
  return traj;
}
