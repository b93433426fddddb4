/**
 * A synthetic telemetry corpus the size of RFT-FaultBench (about 1.46 M
 * trajectory records in 22.5 k steps), written as one `.jsonl.gz` file per run
 * in the canonical JSONL format (docs/spec/telemetry.md): per step a `step`
 * record of trainer scalars and a `trajectories` record with every canonical
 * column and the group ids. Healthy-looking GRPO noise, not a model of a run:
 * only sizes, value kinds (0/1 flags, integer counts, floats written with six
 * significant digits) and record shapes matter for a bulk-scan timing.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { seededRandom } from "../random.js";

export interface CorpusShape {
  runs: number;
  stepsPerRun: number;
  /** Trajectories per step. */
  rows: number;
  /** Samples per prompt group. */
  groupSize: number;
}

/** 180 runs x 125 steps x 65 trajectories = 22,500 steps and 1,462,500 trajectory records. */
export const FAULTBENCH_SIZE: CorpusShape = { runs: 180, stepsPerRun: 125, rows: 65, groupSize: 5 };
export const QUICK_CORPUS: CorpusShape = { runs: 3, stepsPerRun: 20, rows: 16, groupSize: 4 };

export interface CorpusFiles {
  dir: string;
  steps: number;
  trajectories: number;
  /** Bytes on disk (gzip) and of the JSON inside. */
  gzipBytes: number;
  jsonBytes: number;
}

const six = (x: number) => Number(x.toPrecision(6));

/** Writes the corpus into `dir` (created), one file per run. */
export function writeCorpus(dir: string, shape: CorpusShape, seed = 1): CorpusFiles {
  mkdirSync(dir, { recursive: true });
  const { uniform, normal } = seededRandom(seed);
  const bit = (p: number) => (uniform() < p ? 1 : 0);
  let gzipBytes = 0;
  let jsonBytes = 0;
  for (let r = 0; r < shape.runs; r++) {
    const run = `bulk-${String(r).padStart(3, "0")}`;
    const lines: string[] = [];
    for (let step = 0; step < shape.stepsPerRun; step++) {
      const n = shape.rows;
      const column = (f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
      const reward = column(() => bit(0.45 + 0.1 * (step / shape.stepsPerRun)));
      const length = column(() => Math.min(1024, Math.max(8, Math.round(300 + 80 * normal()))));
      const columns = {
        group: column((i) => Math.floor(i / shape.groupSize)),
        reward,
        correct: reward.map((x) => (uniform() < 0.95 ? x : 1 - x)),
        length,
        truncated: length.map((l) => (l >= 1024 ? 1 : 0)),
        advantage: column(() => six(normal())),
        logprob_mean: column(() => six(-0.6 + 0.05 * normal())),
        entropy_mean: column(() => six(0.9 + 0.05 * normal())),
        ratio_mean: column(() => six(1 + 0.01 * normal())),
        ratio_max: column(() => six(1.2 + 0.05 * uniform())),
        logprob_gap: column(() => six(0.01 * uniform())),
        kl_ref: column(() => six(0.02 + 0.002 * normal())),
        format_ok: column(() => bit(0.98)),
        repetition: column(() => six(0.05 * uniform())),
        tool_calls: column(() => Math.floor(uniform() * 4)),
        tool_errors: column(() => bit(0.05)),
      };
      const mean = reward.reduce((a, b) => a + b, 0) / n;
      lines.push(
        JSON.stringify({
          kind: "step",
          run,
          step,
          metrics: {
            reward_mean: six(mean),
            kl_ref: six(0.02 + 0.001 * normal()),
            entropy: six(0.9 + 0.01 * normal()),
            loss: six(0.1 * normal()),
            grad_norm: six(0.8 + 0.05 * normal()),
            lr: 1e-6,
            num_trajectories: n,
          },
        }),
        JSON.stringify({ kind: "trajectories", run, step, columns }),
      );
    }
    const json = Buffer.from(`${lines.join("\n")}\n`);
    const gz = gzipSync(json);
    writeFileSync(join(dir, `${run}.jsonl.gz`), gz);
    jsonBytes += json.length;
    gzipBytes += gz.length;
  }
  const steps = shape.runs * shape.stepsPerRun;
  return { dir, steps, trajectories: steps * shape.rows, gzipBytes, jsonBytes };
}
