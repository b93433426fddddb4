/**
 * The GRPO trainer of the fault benchmark: a real (tiny) RL fine-tuning loop.
 *
 * Each step: P prompts, G samples each from the rollout copy of the weights
 * (one rollout worker per prompt group), verifier rewards, group-normalised
 * advantages, a PPO-clipped update with a KL penalty to the frozen reference
 * over several inner epochs, then the weight sync to the rollout copy and
 * periodic checkpoints. It emits the step's telemetry (`step`, `trajectories`,
 * `event` records of docs/spec/telemetry.md), hands it to an optional
 * monitor, and applies the actions the monitor returns before committing the
 * update, so every action of docs/spec/verdicts.md is real here.
 */
import type { Action, TelemetryRecord, TrainerAdapter } from "../../src/index.js";
import { type Random, seededRandom } from "../random.js";
import type { FaultId, Severity } from "./faults.js";
import { groupAdvantages, groupMembers, ppoUpdate, type Sample } from "./grpo.js";
import { type HParams, NOMINAL } from "./hparams.js";
import { FaultPlan } from "./inject.js";
import { Adam, forward, roundMantissa } from "./model.js";
import { score } from "./reward.js";
import { sampleResponse, type Trajectory } from "./rollout.js";
import { NOMINAL_RUN_SETUP, type RunSetup } from "./setups.js";
import { DEFAULT_WARMUP, warmup } from "./sft.js";
import { type Difficulty, MAX_CONTEXT, type Problem, parseAnswer, TASKS, type TaskName, TOKEN } from "./task.js";
import { stepRecords } from "./telemetry.js";

export interface RunSpec {
  /** Run id, also the telemetry's `run`. */
  id: string;
  seed: number;
  steps: number;
  hparams: HParams;
  fault: { fault: FaultId; severity: Severity; onset: number } | null;
  /** The setup's task, model width and logging (setups.ts); none: the original setup `a`. */
  setup?: RunSetup;
}

/** Receives a step's telemetry and returns the actions to apply (a monitor in the loop). */
export type StepObserver = (records: TelemetryRecord[]) => Action[];

export interface RunResult {
  /** Greedy accuracy on the held-out problems before RL and at the end. */
  initialAccuracy: number;
  finalAccuracy: number;
  /** Steps actually trained (less than spec.steps when halted). */
  steps: number;
  halted: string | null;
  actions: { step: number; action: Action }[];
}

const POOL_SIZE = 512;
const HELD_OUT = 200;
const WORKER_TIMEOUT_S = 6;

interface Checkpoint {
  step: number;
  params: Float64Array;
  adam: Adam;
}

/** Random streams, one per purpose, so a fault changes nothing before its onset. */
interface Streams {
  data: Random;
  sampling: Random;
  reward: Random;
  learner: Random;
  faults: Random;
  timing: Random;
}

function streams(seed: number): Streams {
  const s = (k: number) => seededRandom(seed * 1009 + k);
  return { data: s(1), sampling: s(2), reward: s(3), learner: s(4), faults: s(5), timing: s(6) };
}

/**
 * Warm-started policies by task, width and seed: every run of a seed of a
 * setup starts from the same weights (healthy and faulty alike).
 */
const warmStarts = new Map<string, Float64Array>();

function warmStart(seed: number, setup: RunSetup): Float64Array {
  const key = `${setup.task}/${setup.width}/${seed}`;
  let p = warmStarts.get(key);
  if (!p) {
    const task = TASKS[setup.task];
    p = warmup(seededRandom(seed * 7919 + 11), { ...DEFAULT_WARMUP, steps: task.warmupSteps }, task, setup.width);
    warmStarts.set(key, p);
  }
  return p.slice();
}

/** The held-out problems every run of a task is judged on (same for all its runs). */
const heldOut = new Map<TaskName, Problem[]>();

function heldOutProblems(task: TaskName): Problem[] {
  let problems = heldOut.get(task);
  if (!problems) {
    const rng = seededRandom(424242);
    problems = Array.from({ length: HELD_OUT }, (_, i) => TASKS[task].makeProblem(100_000 + i, "normal", rng));
    heldOut.set(task, problems);
  }
  return problems;
}

/** Greedy accuracy on the task's held-out problems with a working tool (if any) and the nominal length cap. */
export function heldOutAccuracy(params: Float64Array, task: TaskName = "add"): number {
  const greedy = {
    temperature: 1e-3,
    maxResponseLength: NOMINAL.maxResponseLength,
    toolFailureRate: 0,
    tool: TASKS[task].tool,
  };
  const rng = seededRandom(1);
  const problems = heldOutProblems(task);
  let correct = 0;
  for (const problem of problems) {
    const traj = sampleResponse(problem, params, greedy, rng);
    if (parseAnswer(traj.response, traj.observation).answer === problem.answer) correct++;
  }
  return correct / problems.length;
}

/** The benchmark's trainer; it is also the library's first trainer adapter (src/loop/adapter.ts): it applies the monitor's actions. */
export class Trainer implements TrainerAdapter {
  readonly hp: HParams;
  readonly setup: RunSetup;
  private readonly rng: Streams;
  private readonly plan: FaultPlan;
  private readonly pools: Record<Difficulty, Problem[]>;
  params: Float64Array;
  private readonly reference: Float64Array;
  private rollout: Float64Array;
  private adam: Adam;
  private checkpoints: Checkpoint[] = [];
  /** Steps trained so far (the step numbering of the telemetry; it never goes back, even on rollback). */
  step = 0;
  private quarantined = new Set<number>();
  private filterZeroVariance = false;
  private workersRestartedAt = -1;
  private syncRepaired = false;
  halted: string | null = null;
  readonly actionLog: { step: number; action: Action }[] = [];
  /** Telemetry from before the first step (the initial checkpoint). */
  readonly startEvents: TelemetryRecord[];
  /**
   * Events the monitor has not seen: checkpoints and applied actions come after
   * it observes a step, so they travel with the next step it observes.
   */
  private unseen: TelemetryRecord[];

  constructor(readonly spec: RunSpec) {
    this.setup = spec.setup ?? NOMINAL_RUN_SETUP;
    this.rng = streams(spec.seed);
    const poolRng = seededRandom(spec.seed * 31 + 3);
    const { makeProblem } = TASKS[this.setup.task];
    this.pools = {
      normal: Array.from({ length: POOL_SIZE }, (_, i) => makeProblem(i, "normal", poolRng)),
      easy: Array.from({ length: POOL_SIZE }, (_, i) => makeProblem(POOL_SIZE + i, "easy", poolRng)),
      hard: Array.from({ length: POOL_SIZE }, (_, i) => makeProblem(2 * POOL_SIZE + i, "hard", poolRng)),
    };
    this.plan = new FaultPlan(spec.fault, spec.seed, POOL_SIZE, this.rng.faults);
    const o = this.plan.config();
    this.hp = {
      ...spec.hparams,
      temperature: spec.hparams.temperature * (o.temperatureFactor ?? 1),
      maxResponseLength: o.maxResponseLength ?? spec.hparams.maxResponseLength,
      lr: spec.hparams.lr * (o.lrFactor ?? 1),
      klCoef: spec.hparams.klCoef * (o.klFactor ?? 1),
    };
    this.params = warmStart(spec.seed, this.setup);
    this.adam = new Adam(this.params.length);
    this.reference = this.params.slice();
    this.rollout = roundMantissa(this.params, this.hp.rolloutBits);
    this.startEvents = [this.saveCheckpoint()];
    this.unseen = [...this.startEvents];
  }

  /** Keeps a checkpoint of the current state; returns the event that reports it. */
  private saveCheckpoint(): TelemetryRecord {
    this.checkpoints.push({ step: this.step, params: this.params.slice(), adam: this.adam.clone() });
    if (this.checkpoints.length > 8) this.checkpoints.shift();
    return { kind: "event", run: this.spec.id, step: this.step, name: "checkpoint", data: {} };
  }

  /** The step's prompts: from the pool (minus quarantined ids), some swapped for easy or hard ones under difficulty_skew. */
  private prompts(): Problem[] {
    const { data } = this.rng;
    const skew = this.plan.skewShare(this.step);
    const chosen: Problem[] = [];
    const used = new Set<number>();
    while (chosen.length < this.hp.prompts) {
      const id = data.int(POOL_SIZE);
      if (used.has(id) || (this.quarantined.has(id) && this.quarantined.size < POOL_SIZE - this.hp.prompts)) continue;
      used.add(id);
      let problem = this.pools.normal[id];
      if (skew > 0 && data.uniform() < skew) problem = this.pools[this.plan.up ? "easy" : "hard"][id];
      if (this.plan.corrupts(this.step, problem.id)) problem = this.corrupt(problem);
      chosen.push(problem);
    }
    return chosen;
  }

  /** observation_corruption: the prompt arrives with its operator and some digits garbled. */
  private corrupt(problem: Problem): Problem {
    const { faults } = this.rng;
    const tokens = problem.tokens.map((t) => (t === TOKEN.PLUS || faults.uniform() < 0.3 ? faults.int(10) : t));
    return { ...problem, tokens };
  }

  private deadWorkers(): number {
    if (this.workersRestartedAt >= 0) return 0;
    return this.plan.deadWorkers(this.step, this.hp.prompts);
  }

  /** Runs one training step; returns its telemetry, and commits the update unless an action says otherwise. */
  trainStep(observe?: StepObserver): TelemetryRecord[] {
    this.step++;
    const step = this.step;
    const hp = this.hp;
    const dead = this.deadWorkers();
    const problems = this.prompts().slice(0, hp.prompts - dead);
    const settings = {
      temperature: hp.temperature,
      maxResponseLength: Math.min(hp.maxResponseLength, MAX_CONTEXT - 8),
      toolFailureRate: this.workersRestartedAt >= 0 ? 0 : this.plan.toolFailureRate(step),
      tool: TASKS[this.setup.task].tool,
    };

    // Rollout, one worker per prompt group.
    const trajectories: Trajectory[] = [];
    const truthGroups: number[] = [];
    problems.forEach((problem, g) => {
      for (let i = 0; i < hp.groupSize; i++) {
        trajectories.push(sampleResponse(problem, this.rollout, settings, this.rng.sampling));
        truthGroups.push(g);
      }
    });
    const scored = trajectories.map((t) => score(t, this.plan, step, this.rng.reward));
    const rewards = scored.map((s) => s.reward);

    // The pipeline's grouping (group_misindexing reassigns some samples) and advantages.
    const groups = truthGroups.slice();
    const misindex = this.plan.misindexShare(step);
    if (misindex > 0) {
      for (let i = 0; i < groups.length; i++) {
        if (this.rng.faults.uniform() < misindex) groups[i] = this.rng.faults.int(problems.length);
      }
    }
    const advantages = groupAdvantages(rewards, groups, this.plan.advantageBug(step));

    // The trainer's own log-probabilities (old policy) and the reference's.
    const nan = this.plan.nanTrajectories(step);
    const samples: Sample[] = [];
    const perTrajectory = trajectories.map((traj, i) => {
      const tokens = [...traj.problem.tokens, ...traj.response];
      const start = traj.problem.tokens.length;
      const old = forward(this.params, tokens, start, hp.temperature);
      const ref = forward(this.reference, tokens, start, hp.temperature);
      const oldLogp = old.logp.slice();
      if (nan.share > 0 && this.rng.faults.uniform() < nan.share) oldLogp.fill(NaN);
      const mask = traj.observation.map((o) => (o ? 0 : 1));
      return { tokens, start, mask, oldLogp, refLogp: ref.logp, advantage: advantages[i] };
    });
    const zeroVariance = zeroVarianceGroups(rewards, groups);
    perTrajectory.forEach((s, i) => {
      // The NaN guard keeps non-finite trajectories out of the loss, unless it is missing.
      if (!nan.unguarded && !s.oldLogp.every(Number.isFinite)) return;
      if (this.filterZeroVariance && zeroVariance.has(groups[i])) return;
      samples.push(s);
    });

    // The update, staged on a copy so skip_batch can discard it.
    const staged = this.params.slice();
    const stagedAdam = this.adam.clone();
    const blowup = this.plan.gradientBlowup(step);
    const stats = ppoUpdate(
      staged,
      stagedAdam,
      samples,
      { ...hp, lossScale: blowup, unguarded: nan.unguarded },
      this.rng.learner,
    );

    const generated = trajectories.reduce((n, t) => n + t.response.length, 0);
    const stepTime =
      (1 + 0.002 * generated + 0.004 * generated * hp.epochs + (dead > 0 ? WORKER_TIMEOUT_S : 0)) *
      (1 + 0.03 * this.rng.timing.normal());
    // A trainer that logs every k-th step writes nothing of the others, and a monitor in the loop sees only what is written.
    const logged = step % this.setup.logEvery === 0;
    const records = logged
      ? stepRecords({
          run: this.spec.id,
          step,
          hp,
          trajectories,
          scored,
          groups,
          advantages,
          old: perTrajectory.map((s) => s.oldLogp),
          ref: perTrajectory.map((s) => s.refLogp),
          stats,
          stepTime,
          tool: TASKS[this.setup.task].tool,
          tensor: this.setup.trajectories,
        })
      : [];

    const actions = observe && logged ? observe([...this.unseen, ...records]) : [];
    const after: TelemetryRecord[] = [];
    let commit = true;
    for (const action of actions) {
      after.push(...this.apply(action, step));
      if (action.kind === "skip_batch") commit = false;
      if (action.kind === "rollback") commit = false;
    }
    if (commit) {
      this.params = staged;
      this.adam = stagedAdam;
    }
    if (this.syncRepaired || this.plan.syncs(step)) {
      this.rollout = roundMantissa(this.params, this.plan.rolloutBits(step, hp.rolloutBits));
    }
    if (step % hp.checkpointEvery === 0) after.push(this.saveCheckpoint());
    // Events of an unlogged step wait for the next step the monitor sees.
    this.unseen = logged ? after : [...this.unseen, ...after];
    return [...records, ...after];
  }

  /** Applies one action at `step` (default: the current step); returns the `event` records that report it. */
  apply(action: Action, step = this.step): TelemetryRecord[] {
    this.actionLog.push({ step, action });
    const event = (extra: Record<string, unknown> = {}): TelemetryRecord => ({
      kind: "event",
      run: this.spec.id,
      step,
      name: "action_applied",
      data: { action: action.kind, ...extra },
    });
    switch (action.kind) {
      case "rollback": {
        const target = [...this.checkpoints].reverse().find((c) => c.step <= action.to_step) ?? this.checkpoints[0];
        this.params = target.params.slice();
        this.adam = target.adam.clone();
        this.rollout = roundMantissa(this.params, this.hp.rolloutBits);
        return [event({ to_step: action.to_step, restored_step: target.step })];
      }
      case "scale_lr":
        this.hp.lr *= action.factor;
        return [event({ factor: action.factor, lr: this.hp.lr })];
      case "set_hparam":
        return [event(this.setHparam(action.name, action.value))];
      case "filter_groups":
        this.filterZeroVariance = true;
        return [event({ mode: action.mode })];
      case "skip_batch":
        return [event()];
      case "resync_weights":
        this.syncRepaired = true;
        this.rollout = roundMantissa(this.params, this.hp.rolloutBits);
        return [event()];
      case "restart_workers":
        this.workersRestartedAt = step;
        return [event()];
      case "quarantine_prompts":
        for (const id of action.prompt_ids) this.quarantined.add(id);
        return [event({ prompt_ids: action.prompt_ids, quarantined: this.quarantined.size })];
      case "halt":
        this.halted = action.reason;
        return [event({ reason: action.reason })];
      case "alert":
        return [event({ message: action.message })];
    }
  }

  private setHparam(name: string, value: number): Record<string, unknown> {
    const names: Record<string, keyof HParams> = {
      kl_coef: "klCoef",
      entropy_coef: "entropyCoef",
      temperature: "temperature",
      max_response_length: "maxResponseLength",
      grad_clip: "gradClip",
      clip_eps: "clipEps",
      lr: "lr",
    };
    const key = names[name];
    if (!key || !Number.isFinite(value))
      return { name, value, applied: false, reason: "unknown hyperparameter or value" };
    this.hp[key] = value;
    return { name, value, applied: true };
  }
}

function zeroVarianceGroups(rewards: readonly number[], groups: readonly number[]): Set<number> {
  const zero = new Set<number>();
  for (const [g, rows] of groupMembers(groups)) {
    if (rows.length > 1 && rows.every((i) => rewards[i] === rewards[rows[0]])) zero.add(g);
  }
  return zero;
}

/**
 * Trains a run to the end (or to a halt), sending every telemetry line to
 * `emit`; with `observe`, a monitor sees each step and its actions are applied.
 */
export function runTraining(spec: RunSpec, emit: (line: TelemetryRecord) => void, observe?: StepObserver): RunResult {
  const trainer = new Trainer(spec);
  const initialAccuracy = heldOutAccuracy(trainer.params, trainer.setup.task);
  for (const line of trainer.startEvents) emit(line);
  while (trainer.step < spec.steps && !trainer.halted) {
    for (const line of trainer.trainStep(observe)) emit(line);
  }
  return {
    initialAccuracy,
    finalAccuracy: heldOutAccuracy(trainer.params, trainer.setup.task),
    steps: trainer.step,
    halted: trainer.halted,
    actions: trainer.actionLog,
  };
}
