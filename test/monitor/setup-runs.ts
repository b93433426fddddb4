/**
 * Metric-only runs of one made-up setup, for the calibration tests: each run
 * draws its own seed and small offsets of its levels (as healthy runs of one
 * setup differ), follows the same curves over training (reward rising, KL to
 * the reference growing, entropy falling) with step-to-step noise, and is
 * written as canonical JSONL. A step-0 configuration fault shifts a level from
 * the first step on, so the run's own baseline learns it as normal: only a
 * reference of the setup shows it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { seededRandom } from "../../bench/random.js";
import type { StepInput } from "../../src/index.js";

export interface SetupRunOptions {
  steps?: number;
  /** Log every this many steps (default 1). */
  every?: number;
  /** A configuration fault present from step 0: entropy and response length up (too high a temperature). */
  hotSampling?: boolean;
  /** Multiplies every magnitude (another setup's scale). */
  scale?: number;
  /** Metrics left out of every step. */
  without?: readonly string[];
}

export function setupRun(run: string, seed: number, options: SetupRunOptions = {}): StepInput[] {
  const { steps = 60, every = 1, hotSampling = false, scale = 1, without = [] } = options;
  const rng = seededRandom(seed);
  const offset = () => 1 + 0.04 * rng.normal();
  const level = { reward: offset(), kl: offset(), entropy: offset(), length: offset(), grad: offset() };
  const hot = hotSampling ? 1.6 : 1;
  const out: StepInput[] = [];
  for (let step = 0; step < steps; step += every) {
    const metrics: Record<string, number> = {
      reward_mean: 0.3 + 0.4 * (1 - Math.exp(-step / 20)) * level.reward + 0.02 * rng.normal() - (hot - 1) * 0.2,
      kl_ref: scale * 0.002 * (1 + step) * level.kl * Math.exp(0.05 * rng.normal()),
      entropy: scale * 0.8 * Math.exp(-step / 150) * level.entropy * hot * Math.exp(0.05 * rng.normal()),
      grad_norm: scale * 0.8 * level.grad * Math.exp(0.15 * rng.normal()),
      response_length_mean: scale * (6 + 0.02 * step) * level.length * hot + 0.2 * rng.normal(),
      num_trajectories: 64,
    };
    for (const name of without) delete metrics[name];
    out.push({ run, step, metrics });
  }
  return out;
}

/** Writes a run's steps as canonical JSONL in `dir`; returns the path. */
export function writeRun(dir: string, steps: readonly StepInput[], name = `${steps[0]?.run ?? "run"}.jsonl`): string {
  const path = join(dir, name);
  const lines = steps.map((s) => JSON.stringify({ kind: "step", run: s.run, step: s.step, metrics: s.metrics }));
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}
