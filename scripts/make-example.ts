#!/usr/bin/env node
/**
 * Writes examples/small-run.jsonl: SYNTHETIC telemetry, made up by this script
 * from a seeded random generator. No model was trained to produce it; it only
 * has the shape and rough statistics of GRPO runs, for demos and tests.
 *
 * Two runs, interleaved line by line as two trainers logging to one file would:
 * - `demo-healthy`: reward climbs slowly, entropy eases down, KL grows a little.
 * - `demo-entropy-collapse`: the same until the middle; then the policy turns
 *   deterministic: token entropy decays towards zero, each prompt's samples agree
 *   (all right or all wrong), so zero-variance groups (no learning signal in GRPO)
 *   rise, and responses get repetitive.
 *
 * 40 steps per run, 8 prompts x 8 samples per step. Each step has a `step` record
 * (trainer scalars), a columnar `trajectories` record with every canonical column,
 * and every 10 steps a `checkpoint` event. Values keep 4 significant digits.
 *
 * Deterministic: same output on every run and platform (seeded pure-rand streams).
 * Usage: npx tsx scripts/make-example.ts [output path]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { seededRandom as prng } from "../bench/random.js";

const STEPS = 40;
const PROMPTS_PER_STEP = 8;
const SAMPLES_PER_PROMPT = 8;
const PROMPT_POOL = 512;
const MAX_LENGTH = 512;
const CHECKPOINT_EVERY = 10;
const START_TIME = 1732200000;

interface RunSpec {
  name: string;
  seed: number;
  collapse: boolean;
  startTime: number;
}

const RUNS: RunSpec[] = [
  { name: "demo-healthy", seed: 17, collapse: false, startTime: START_TIME },
  { name: "demo-entropy-collapse", seed: 42, collapse: true, startTime: START_TIME + 7 },
];

/** 4 significant digits: small file, still plenty for the detectors. */
const r4 = (x: number) => (Number.isInteger(x) ? x : Number(x.toPrecision(4)));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const std = (xs: number[], ddof = 0) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - ddof));
};
/** Pushes a probability towards 0 or 1 (k > 1): a policy growing deterministic. */
const sharpen = (p: number, k: number) => p ** k / (p ** k + (1 - p) ** k);

/** How far the collapse has gone at progress t in [0, 1]: 0 in the first half, up to 1 at the end. */
const collapseAt = (run: RunSpec, t: number) => (run.collapse ? Math.max(0, (t - 0.5) / 0.5) : 0);

type Line = Record<string, unknown>;
interface StepLines {
  step: Line;
  trajectories: Line;
  event?: Line;
}

function makeRun(run: RunSpec): StepLines[] {
  const rng = prng(run.seed);
  // Both runs train on the same prompts; the pool's difficulties come from a fixed seed.
  const poolRng = prng(7);
  const difficulty = Array.from({ length: PROMPT_POOL }, () => 1.2 * poolRng.normal());
  let time = run.startTime;
  const steps: StepLines[] = [];

  for (let step = 1; step <= STEPS; step++) {
    const t = (step - 1) / (STEPS - 1);
    const c = collapseAt(run, t);
    const skill = -0.6 + 1.0 * t;
    const entropyLevel = (0.85 - 0.15 * t) * Math.exp(-3.5 * c); // ~0.78 at the middle, ~0.02 at the end
    const sharpness = 1 + 12 * c ** 1.5;
    const klLevel = 0.002 + 0.03 * t + 0.12 * c;

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
    const used = new Set<number>();
    for (let g = 0; g < PROMPTS_PER_STEP; g++) {
      let prompt: number;
      do prompt = rng.int(PROMPT_POOL);
      while (used.has(prompt));
      used.add(prompt);
      const p = sharpen(sigmoid(skill - difficulty[prompt]), sharpness);
      const rewards: number[] = [];
      for (let s = 0; s < SAMPLES_PER_PROMPT; s++) {
        const formatOk = rng.uniform() < 0.97 ? 1 : 0;
        const correct = formatOk && rng.uniform() < p ? 1 : 0;
        const reward = correct - (formatOk ? 0 : 0.5);
        const length = Math.max(8, Math.min(MAX_LENGTH, Math.round(290 - 40 * correct + 100 * rng.normal())));
        const entropy = Math.max(0.005, entropyLevel * (1 + 0.15 * rng.normal()));
        const toolCalls = rng.int(4);
        let toolErrors = 0;
        for (let k = 0; k < toolCalls; k++) if (rng.uniform() < 0.1) toolErrors++;
        rewards.push(reward);
        cols.group.push(g);
        cols.prompt_id.push(prompt);
        cols.reward.push(reward);
        cols.correct.push(correct);
        cols.length.push(length);
        cols.truncated.push(length >= MAX_LENGTH ? 1 : 0);
        cols.logprob_mean.push(r4(-(0.6 * entropy + 0.05 + 0.02 * Math.abs(rng.normal()))));
        cols.entropy_mean.push(r4(entropy));
        cols.ratio_mean.push(r4(1 + 0.004 * rng.normal()));
        cols.ratio_max.push(r4(1 + Math.abs(0.08 + 0.05 * rng.normal())));
        cols.logprob_gap.push(r4(0.008 + 0.002 * Math.abs(rng.normal())));
        cols.kl_ref.push(r4(Math.max(0, klLevel * (1 + 0.3 * rng.normal()))));
        cols.format_ok.push(formatOk);
        cols.repetition.push(r4(Math.min(1, 0.04 + 0.5 * c + 0.02 * Math.abs(rng.normal()))));
        cols.tool_calls.push(toolCalls);
        cols.tool_errors.push(toolErrors);
      }
      // GRPO advantage: the reward normalised within its group (sample std, as torch.std).
      const m = mean(rewards);
      const sd = std(rewards, 1);
      for (const r of rewards) cols.advantage.push(r4((r - m) / (sd + 1e-6)));
    }

    const n = cols.reward.length;
    // A group whose samples all got the same reward contributes no gradient.
    let informative = 0;
    for (let g = 0; g < PROMPTS_PER_STEP; g++) {
      const rs = cols.reward.slice(g * SAMPLES_PER_PROMPT, (g + 1) * SAMPLES_PER_PROMPT);
      if (std(rs) > 0) informative++;
    }
    const stepTime = 28 + 4 * rng.normal() + 0.01 * mean(cols.length);
    time += stepTime;
    const metrics = {
      reward_mean: r4(mean(cols.reward)),
      reward_std: r4(std(cols.reward)),
      correct_mean: r4(mean(cols.correct)),
      kl_ref: r4(mean(cols.kl_ref)),
      entropy: r4(mean(cols.entropy_mean)),
      grad_norm: r4(Math.max(0.01, (0.12 + 0.5 * (informative / PROMPTS_PER_STEP)) * (1 + 0.1 * rng.normal()))),
      lr: r4(1e-6 * Math.min(1, step / 5)),
      clip_frac: r4(Math.max(0, 0.02 + 0.005 * rng.normal())),
      response_length_mean: r4(mean(cols.length)),
      truncation_rate: r4(mean(cols.truncated)),
      step_time: r4(stepTime),
      num_trajectories: n,
    };
    steps.push({
      step: { kind: "step", run: run.name, step, time: Number(time.toFixed(2)), metrics },
      trajectories: { kind: "trajectories", run: run.name, step, columns: cols },
      event:
        step % CHECKPOINT_EVERY === 0
          ? { kind: "event", run: run.name, step, name: "checkpoint", path: `checkpoints/${run.name}/step-${step}` }
          : undefined,
    });
  }
  return steps;
}

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? resolve(here, "..", "examples", "small-run.jsonl"));
const runs = RUNS.map(makeRun);
const lines: string[] = [];
for (let i = 0; i < STEPS; i++) {
  // Interleaved: each record kind of step i for every run, then the next kind.
  for (const kind of ["step", "trajectories", "event"] as const) {
    for (const steps of runs) {
      const record = steps[i][kind];
      if (record) lines.push(JSON.stringify(record));
    }
  }
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${lines.join("\n")}\n`);
console.log(`wrote ${lines.length} lines to ${out}`);
