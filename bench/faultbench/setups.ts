/**
 * The benchmark's setups: the ways real RL fine-tuning runs differ from one
 * another, each a corpus of its own (every fault at every severity, healthy
 * runs enough to count false alarms).
 *
 * A setup fixes the task (with or without a tool), the model's hidden width,
 * the batch (prompts per step) and group size, the ranges its healthy runs
 * draw their learning rate and KL coefficient from, how often the trainer
 * logs (every step, or only every k-th step, as real trainers do) and what
 * (step scalars only, or the per-trajectory tensor as well). What a run of a
 * setup needs to train travels in its spec as `RunSetup` (plain data: specs
 * cross to worker processes).
 *
 * Setup `a` is the benchmark's original setup: its runs keep their ids
 * (`s7-tool_failure-severe`) and are bit-for-bit the runs of the corpus
 * before setups existed; the others prefix their ids with their name
 * (`b-s101-healthy-0`).
 */
import type { FaultId } from "./faults.js";
import { type HParams, NOMINAL } from "./hparams.js";
import { H1 } from "./model.js";
import type { TaskName } from "./task.js";

/** What a run of a setup trains with and logs (beside its hyperparameters). */
export interface RunSetup {
  name: string;
  task: TaskName;
  /** Hidden width of the policy (both layers). */
  width: number;
  /** The trainer writes telemetry only at steps that are multiples of this (1: every step). */
  logEvery: number;
  /** Whether each logged step carries the `trajectories` tensor (false: step scalars only). */
  trajectories: boolean;
}

/** The original setup's run traits: what a spec without `setup` trains with. */
export const NOMINAL_RUN_SETUP: RunSetup = { name: "a", task: "add", width: H1, logEvery: 1, trajectories: true };

/** Corpus size of a setup: seeds (the last `testSeeds` of them the test split), healthy runs per seed, steps. */
export interface SetupCorpus {
  seeds: number;
  testSeeds: number;
  /** Healthy runs per seed (the first shares the faulty runs' settings: their matched run). */
  healthyPerSeed: number;
  steps: number;
}

export interface Setup {
  run: RunSetup;
  /** What differs from setup `a`, in words (docs and labels.json). */
  description: string;
  /** Hyperparameters every run of the setup shares, over NOMINAL (batch, group size). */
  hparams: Partial<HParams>;
  /** Ranges (log-uniform) a healthy run draws its learning rate and KL coefficient from. */
  lr: [number, number];
  kl: [number, number];
  corpus: SetupCorpus;
  /** Added to every corpus seed, so that no two setups share a seed. */
  seedOffset: number;
  /** Prefix of the setup's run ids and files ("" for `a`, whose ids predate setups). */
  idPrefix: string;
  /** Faults this setup cannot have, and why (they are not planned; labels.json says so). */
  skippedFaults: Partial<Record<FaultId, string>>;
}

export const SETUPS: readonly Setup[] = [
  {
    run: NOMINAL_RUN_SETUP,
    description:
      "the original setup: 2-digit addition with a calculator, width 64, 8 prompts x 8, every step logged with trajectories",
    hparams: {},
    lr: [3e-4, 8e-4],
    kl: [0.2, 0.5],
    corpus: { seeds: 10, testSeeds: 4, healthyPerSeed: 12, steps: 50 },
    seedOffset: 0,
    idPrefix: "",
    skippedFaults: {},
  },
  {
    run: { name: "b", task: "reverse", width: H1, logEvery: 1, trajectories: true },
    description: "a task with no tool (reverse 3 digits), bigger groups: 4 prompts x 16",
    hparams: { prompts: 4, groupSize: 16 },
    lr: [3e-4, 8e-4],
    kl: [0.2, 0.5],
    corpus: { seeds: 2, testSeeds: 1, healthyPerSeed: 6, steps: 40 },
    seedOffset: 100,
    idPrefix: "b-",
    skippedFaults: {
      tool_failure: "the task has no tool to fail",
      reward_hacking:
        "the lenient parser pays an answer copied from tool output or written amid junk; with no tool the policy never writes one in 40 steps (no rollout of the 6 runs generated on 2026-12-03 scored apart from its correctness), so the fault leaves no trace to detect",
    },
  },
  {
    run: { name: "c", task: "add", width: H1, logEvery: 5, trajectories: false },
    description: "step scalars only, logged every 5th step; higher LR, lower KL",
    hparams: {},
    lr: [8e-4, 1.6e-3],
    kl: [0.05, 0.15],
    corpus: { seeds: 2, testSeeds: 1, healthyPerSeed: 6, steps: 50 },
    seedOffset: 200,
    idPrefix: "c-",
    skippedFaults: {},
  },
  {
    run: { name: "d", task: "add", width: 32, logEvery: 2, trajectories: true },
    description: "a smaller model (width 32), 12 prompts x 4, logged every 2nd step",
    hparams: { prompts: 12, groupSize: 4 },
    lr: [5e-4, 1.2e-3],
    kl: [0.1, 0.3],
    corpus: { seeds: 2, testSeeds: 1, healthyPerSeed: 6, steps: 40 },
    seedOffset: 300,
    idPrefix: "d-",
    skippedFaults: {},
  },
];

export const SETUP_NAMES: readonly string[] = SETUPS.map((s) => s.run.name);

/** The setups of these names, in catalogue order; an unknown name is an error that lists the known ones. */
export function selectSetups(names?: readonly string[]): Setup[] {
  if (!names) return [...SETUPS];
  const unknown = names.filter((n) => !SETUP_NAMES.includes(n));
  if (unknown.length) throw new Error(`setups: unknown ${unknown.join(", ")} (known: ${SETUP_NAMES.join(", ")})`);
  if (!names.length) throw new Error(`setups: name at least one (known: ${SETUP_NAMES.join(", ")})`);
  return SETUPS.filter((s) => names.includes(s.run.name));
}

/** The hyperparameters every run of a setup starts from, before its healthy draw. */
export function setupHparams(setup: Setup): HParams {
  return { ...NOMINAL, ...setup.hparams };
}
