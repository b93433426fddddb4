/**
 * The tasks. The benchmark's first task is multi-digit addition with a
 * calculator tool (`add`); a setup may choose `reverse` (write a number's
 * digits backwards), a task with no tool (setups.ts).
 *
 * add:
 * A prompt is `a + b =` (digits, most significant first). The policy answers
 * with digits and EOS, or first emits CALC: the environment then appends the
 * calculator's result digits and TOOL_END (observation tokens, not actions),
 * and the policy goes on to write its answer. The answer is what the policy
 * writes after the last tool output; it is correct when it is a+b.
 */
import type { Random } from "../random.js";

export const TOKEN = {
  PLUS: 10,
  EQ: 11,
  CALC: 12,
  TOOL_END: 13,
  EOS: 14,
  ERR: 15,
} as const;
export const VOCAB = 16;

export type TaskName = "add" | "reverse";

/** Longest context the policy can see: prompt (up to 3+1+3+1) plus response cap headroom. */
export const MAX_CONTEXT = 28;

export interface Problem {
  /** Stable id within the prompt pool (the telemetry's prompt_id). */
  id: number;
  a: number;
  /** The second operand (add); 0 for a task of one operand. */
  b: number;
  /** The correct answer (add: a + b; reverse: a's digits backwards). */
  answer: number;
  /** Prompt tokens as the policy sees them (observation corruption may alter them). */
  tokens: number[];
}

export function digits(n: number): number[] {
  return String(n).split("").map(Number);
}

export function promptTokens(a: number, b: number): number[] {
  return [...digits(a), TOKEN.PLUS, ...digits(b), TOKEN.EQ];
}

/**
 * A fixed pool of problems. Difficulty levels: `easy` are one-digit sums,
 * `normal` two-digit, `hard` three-digit with carries. The pool is the same for
 * every run of a seed family, so prompt ids mean the same problem across steps.
 */
export type Difficulty = "easy" | "normal" | "hard";

export function makeProblem(id: number, difficulty: Difficulty, rng: Random): Problem {
  const range = difficulty === "easy" ? [0, 10] : difficulty === "normal" ? [10, 100] : [100, 1000];
  const pick = () => range[0] + rng.int(range[1] - range[0]);
  const a = pick();
  const b = pick();
  return { id, a, b, answer: a + b, tokens: promptTokens(a, b) };
}

/** What the calculator returns for a call made after `prompt`: the sum's digits, or ERR when it fails. */
export function calculator(problem: Problem, fails: boolean): number[] {
  return fails ? [TOKEN.ERR, TOKEN.TOOL_END] : [...digits(problem.a + problem.b), TOKEN.TOOL_END];
}

export interface Parsed {
  /** The answer as a number, or null when the response has no well-formed answer. */
  answer: number | null;
  /** Ended with EOS and the answer is 1-4 digits with nothing else after the last tool output. */
  formatOk: boolean;
}

/**
 * Reads the answer from a response (policy and observation tokens).
 * `observation[i]` marks tokens the environment appended.
 */
export function parseAnswer(response: readonly number[], observation: readonly boolean[]): Parsed {
  const end = response.indexOf(TOKEN.EOS);
  if (end < 0) return { answer: null, formatOk: false };
  let start = 0;
  for (let i = 0; i < end; i++) if (observation[i]) start = i + 1;
  const answer = response.slice(start, end);
  const ok = answer.length >= 1 && answer.length <= 4 && answer.every((t) => t < 10);
  return ok ? { answer: Number(answer.join("")), formatOk: true } : { answer: null, formatOk: false };
}

/**
 * reverse: a prompt is `d1 d2 .. dn =` (digits 1-9, so the answer has no
 * leading zero), and the answer is the digits backwards then EOS, with no tool
 * (the policy has no calculator to call: CALC is just a wrong token). Easy
 * prompts have 2 digits, normal 3, hard 4. The answer is read by the same
 * parser as addition's (digits then EOS), with no tool output to skip.
 */
export function makeReverseProblem(id: number, difficulty: Difficulty, rng: Random): Problem {
  const length = difficulty === "easy" ? 2 : difficulty === "normal" ? 3 : 4;
  const ds = Array.from({ length }, () => 1 + rng.int(9));
  const a = Number(ds.join(""));
  return { id, a, b: 0, answer: Number([...ds].reverse().join("")), tokens: [...ds, TOKEN.EQ] };
}

/** What differs between the tasks, for the trainer, the warm-up and the telemetry. */
export interface Task {
  name: TaskName;
  /** Whether the environment has a tool (the calculator) the policy may call. */
  tool: boolean;
  makeProblem(id: number, difficulty: Difficulty, rng: Random): Problem;
  /**
   * Supervised warm-up steps before RL (sft.ts): few enough that RL starts
   * from a partial policy (mixed rewards in a group). Reversal is learnt far
   * faster than addition: after 40 steps about 65% of held-out answers are
   * right, after 60 almost all (measured on seeds 101-103).
   */
  warmupSteps: number;
}

export const TASKS: Record<TaskName, Task> = {
  add: { name: "add", tool: true, makeProblem, warmupSteps: 300 },
  reverse: { name: "reverse", tool: false, makeProblem: makeReverseProblem, warmupSteps: 40 },
};
