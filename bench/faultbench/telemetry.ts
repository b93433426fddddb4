/**
 * The trainer's telemetry (docs/spec/telemetry.md): a `step` record of
 * trainer scalars and the full `trajectories` tensor with every canonical
 * column this trainer can know.
 */
import type { TelemetryRecord } from "../../src/index.js";
import type { UpdateStats } from "./grpo.js";
import type { HParams } from "./hparams.js";
import type { Scored } from "./reward.js";
import type { Trajectory } from "./rollout.js";

export interface StepInputs {
  run: string;
  step: number;
  hp: HParams;
  trajectories: Trajectory[];
  scored: Scored[];
  /** The group ids the pipeline used (what a trainer would log). */
  groups: number[];
  advantages: number[];
  /** The trainer's and the reference's log-probabilities of each response token. */
  old: Float64Array[];
  ref: Float64Array[];
  stats: UpdateStats;
  stepTime: number;
  /** Whether the task has a tool (without one the tool columns and tool_error_rate are not logged; default true). */
  tool?: boolean;
  /** Whether to log the trajectories tensor (false: the step record alone; default true). */
  tensor?: boolean;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const std = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
};

/** Share of response bigrams that occurred earlier in the same response. */
function repetition(tokens: readonly number[]): number {
  if (tokens.length < 3) return 0;
  const seen = new Set<number>();
  let repeated = 0;
  for (let i = 1; i < tokens.length; i++) {
    const bigram = tokens[i - 1] * 64 + tokens[i];
    if (seen.has(bigram)) repeated++;
    seen.add(bigram);
  }
  return repeated / (tokens.length - 1);
}

/** Per-trajectory statistics over the policy's own tokens (observations excluded). */
function policyTokenStats(traj: Trajectory, old: Float64Array, ref: Float64Array) {
  let n = 0;
  let logp = 0;
  let ratio = 0;
  let ratioMax = -Infinity;
  let gap = 0;
  let kl = 0;
  traj.response.forEach((_, t) => {
    if (traj.observation[t]) return;
    const rollout = traj.rolloutLogp[t];
    const r = Math.exp(old[t] - rollout);
    n++;
    logp += rollout;
    ratio += r;
    ratioMax = Math.max(ratioMax, r);
    gap += Math.abs(old[t] - rollout);
    const d = ref[t] - old[t];
    kl += Math.exp(d) - d - 1;
  });
  return { logprobMean: logp / n, ratioMean: ratio / n, ratioMax, gap: gap / n, kl: kl / n };
}

/** Rounds to 6 significant digits (files stay small; detectors need no more), keeping non-finite values. */
const r6 = (x: number) => (Number.isFinite(x) && !Number.isInteger(x) ? Number(x.toPrecision(6)) : x);

export function stepRecords(s: StepInputs): TelemetryRecord[] {
  const cols: Record<string, number[]> = {
    group: [],
    prompt_id: [],
    reward: [],
    correct: [],
    length: [],
    truncated: [],
    advantage: [],
    logprob_mean: [],
    entropy_mean: [],
    ratio_mean: [],
    ratio_max: [],
    logprob_gap: [],
    kl_ref: [],
    format_ok: [],
    repetition: [],
    tool_calls: [],
    tool_errors: [],
  };
  s.trajectories.forEach((traj, i) => {
    const t = policyTokenStats(traj, s.old[i], s.ref[i]);
    cols.group.push(s.groups[i]);
    cols.prompt_id.push(traj.problem.id);
    cols.reward.push(s.scored[i].reward);
    cols.correct.push(s.scored[i].correct ? 1 : 0);
    cols.length.push(traj.response.length);
    cols.truncated.push(traj.truncated ? 1 : 0);
    cols.advantage.push(r6(s.advantages[i]));
    cols.logprob_mean.push(r6(t.logprobMean));
    cols.entropy_mean.push(r6(traj.entropy));
    cols.ratio_mean.push(r6(t.ratioMean));
    cols.ratio_max.push(r6(t.ratioMax));
    cols.logprob_gap.push(r6(t.gap));
    cols.kl_ref.push(r6(t.kl));
    cols.format_ok.push(s.scored[i].formatOk ? 1 : 0);
    cols.repetition.push(r6(repetition(traj.response)));
    cols.tool_calls.push(traj.toolCalls);
    cols.tool_errors.push(traj.toolErrors);
  });
  const calls = cols.tool_calls.reduce((a, b) => a + b, 0);
  const metrics: Record<string, number> = {
    reward_mean: mean(cols.reward),
    reward_std: std(cols.reward),
    correct_mean: mean(cols.correct),
    kl_ref: mean(cols.kl_ref),
    ppo_kl: s.stats.ppoKl,
    entropy: mean(cols.entropy_mean),
    loss: s.stats.loss,
    pg_loss: s.stats.pgLoss,
    grad_norm: s.stats.gradNorm,
    lr: s.hp.lr,
    clip_frac: s.stats.clipFrac,
    response_length_mean: mean(cols.length),
    truncation_rate: mean(cols.truncated),
    step_time: s.stepTime,
    num_trajectories: s.trajectories.length,
    tool_error_rate: calls > 0 ? cols.tool_errors.reduce((a, b) => a + b, 0) / calls : 0,
  };
  for (const k of Object.keys(metrics)) metrics[k] = r6(metrics[k]);
  if (s.tool === false) {
    // A trainer of a task with no tool has no tool columns to log.
    delete metrics.tool_error_rate;
    delete cols.tool_calls;
    delete cols.tool_errors;
  }
  const step: TelemetryRecord = { kind: "step", run: s.run, step: s.step, metrics };
  if (s.tensor === false) return [step];
  return [step, { kind: "trajectories", run: s.run, step: s.step, rows: s.trajectories.length, columns: cols }];
}
