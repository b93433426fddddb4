/**
 * The reward function (a verifier of the sum) and the ways it breaks: wrong
 * reference answers and flipped labels (reward_noise), a lenient parser that
 * can be gamed (reward_hacking), and a parser that stops working
 * (reward_parse_failure). Correctness is judged apart from the reward, with the
 * true answer, so the telemetry can tell them apart.
 */
import type { Random } from "../random.js";
import type { FaultPlan } from "./inject.js";
import type { Trajectory } from "./rollout.js";
import { parseAnswer } from "./task.js";

export interface Scored {
  reward: number;
  correct: boolean;
  formatOk: boolean;
}

/** Every maximal run of digit tokens in the transcript, read as a number. */
function numbersIn(tokens: readonly number[]): number[] {
  const found: number[] = [];
  let current = "";
  for (const t of [...tokens, -1]) {
    if (t >= 0 && t < 10) current += String(t);
    else if (current) {
      found.push(Number(current));
      current = "";
    }
  }
  return found;
}

export function score(traj: Trajectory, plan: FaultPlan, step: number, rng: Random): Scored {
  const { problem } = traj;
  const truth = problem.answer;
  const parsed = parseAnswer(traj.response, traj.observation);
  const correct = parsed.answer === truth;
  const reference = plan.wrongReference(step, problem.id) ? truth + 1 : truth;

  let reward: number;
  if (plan.parseFailureRate(step) > 0 && rng.uniform() < plan.parseFailureRate(step)) {
    reward = 0;
  } else if (plan.lenientParserShare(step) > 0 && rng.uniform() < plan.lenientParserShare(step)) {
    reward = numbersIn(traj.response).includes(reference) ? 1 : 0;
  } else {
    reward = parsed.answer === reference ? 1 : 0;
  }
  if (plan.rewardFlipRate(step) > 0 && rng.uniform() < plan.rewardFlipRate(step)) reward = 1 - reward;
  return { reward, correct, formatOk: parsed.formatOk };
}
