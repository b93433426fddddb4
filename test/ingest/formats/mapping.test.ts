/**
 * Each adapter's mapping, field by field, on fixtures written in the
 * trainers' formats (test/fixtures/formats).
 */
import { describe, expect, it } from "vitest";
import { column, formatFixture, readAll } from "./helpers.js";

describe("trl-console: the HF Trainer's dict lines among progress bars", () => {
  it("maps float-valued dicts, numbering steps by the training bar, joining eval and summary dicts to their step", async () => {
    const path = formatFixture("trl-console.log");
    const { steps, report } = await readAll([path]);
    expect(steps.map((s) => [s.run, s.step])).toEqual([
      [path, 1],
      [path, 2],
      [path, 3],
    ]);
    expect(steps[0].metrics).toEqual({
      loss: 0.0123,
      grad_norm: 0.2218,
      lr: 9e-7,
      response_length_mean: 187.5,
      truncation_rate: 0.125,
      reward_mean: 1.375,
      reward_std: 0.6124,
      kl_ref: 0.0012,
      entropy: 0.6213,
      clip_frac: 0,
      step_time: 3.71,
      num_tokens: 12345,
      "completions/min_length": 12,
      "completions/max_length": 256,
      "completions/mean_terminated_length": 170.2,
      "completions/min_terminated_length": 12,
      "completions/max_terminated_length": 250,
      "rewards/accuracy_reward/mean": 0.5,
      "rewards/accuracy_reward/std": 0.5345,
      "rewards/format_reward/mean": 0.875,
      "rewards/format_reward/std": 0.3536,
      frac_reward_zero_std: 0.25,
      "clip_ratio/low_mean": 0,
      "clip_ratio/low_min": 0,
      "clip_ratio/high_mean": 0,
      "clip_ratio/high_max": 0,
      epoch: 0.01,
    });
    expect(steps[1].metrics).toMatchObject({ grad_norm: NaN, reward_mean: 1.5, eval_loss: 0.0101, eval_reward: 1.25 });
    expect(steps[2].metrics).toMatchObject({ reward_mean: 1.625, train_loss: 0.0031, train_runtime: 11.2 });
    // Bars, vLLM's bars, the rich sample table and log messages are other output, not problems.
    expect(report.problemCount).toBe(0);
    expect(report.otherLines).toBe(11);
    expect(report.formats.get(path)).toBe("trl-console");
    expect(report.summary().split("\n").slice(2)).toEqual([
      "no problems: 0 malformed lines, 0 out-of-order records, every source read to the end",
      `formats: ${path} (trl-console)`,
      "11 lines of other output (progress bars, log messages) were not telemetry",
    ]);
  });

  it("reads string-valued dicts ('0.2218', 'nan'), numbering them 1, 2, ... without a bar", async () => {
    const path = formatFixture("trl-console-strings.log");
    const { steps, report } = await readAll([path]);
    expect(steps.map((s) => s.step)).toEqual([1, 2]);
    expect(steps[0].metrics).toEqual({
      loss: 0,
      grad_norm: 0.2218,
      lr: 0,
      response_length_mean: 256,
      reward_mean: 0.125,
      reward_std: 0.1768,
      kl_ref: 0,
      epoch: 0.0005352,
    });
    expect(steps[1].metrics).toMatchObject({ grad_norm: NaN, kl_ref: NaN, lr: 1e-6 });
    // A dict in a warning is not a trainer log; the last line is cut off mid-dict.
    expect(report.otherLines).toBe(2);
    expect(report.problems).toEqual([
      {
        source: path,
        line: 5,
        reason:
          "trainer log line: the dict is not closed (the last line has no line end: it may have been cut off while being written)",
      },
    ]);
  });
});

describe("trl-state: trainer_state.json", () => {
  it("maps log_history entries by their step, merging evaluation and summary entries, reading bare NaN", async () => {
    const path = formatFixture("trainer_state.json");
    const { steps, report } = await readAll([path]);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    expect(steps[0].metrics).toEqual({
      clip_frac: 0,
      truncation_rate: 0.125,
      response_length_mean: 187.5,
      entropy: 0.6213,
      grad_norm: 0.2218,
      kl_ref: 0.0012,
      lr: 9e-7,
      loss: 0.0123,
      reward_mean: 1.375,
      reward_std: 0.6124,
      step_time: 3.71,
      epoch: 0.01,
      frac_reward_zero_std: 0.25,
      num_tokens: 12345,
      "rewards/accuracy_reward/mean": 0.5,
    });
    expect(steps[1].metrics).toMatchObject({ grad_norm: NaN, eval_loss: 0.0101, eval_runtime: 0.71 });
    expect(steps[2].metrics).toMatchObject({ reward_mean: 1.625, total_flos: 0, train_loss: 0.0031 });
    expect(report.problemCount).toBe(0);
    expect(report.recordsByKind.step).toBe(5);
  });
});

describe("trl-completions: the per-step completions parquet, as pandas writes it", () => {
  it("sums the reward functions, keeps them and the advantage, and groups consecutive repeated prompts", async () => {
    const dir = formatFixture("trl-completions");
    const { steps, report } = await readAll([dir]);
    expect(steps.map((s) => [s.run, s.step, s.trajectories?.rows])).toEqual([
      [dir, 1, 8],
      [dir, 2, 8],
    ]);
    const [one, two] = steps;
    expect([...one.trajectories!.columns.keys()].sort()).toEqual([
      "accuracy_reward",
      "advantage",
      "format_reward",
      "group",
      "reward",
    ]);
    expect(column(one, "accuracy_reward")).toEqual([1, 0, 1, 1, 0, 0, 0, 0]);
    expect(column(one, "format_reward")).toEqual([1, 1, 0, 1, 1, 1, NaN, 1]);
    expect(column(one, "reward")).toEqual([2, 1, 1, 2, 1, 1, 0, 1]); // a None reward adds nothing
    expect(column(one, "group")).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(column(one, "advantage")[0]).toBeCloseTo(0.8659, 4);
    expect(column(two, "reward")).toEqual([2, 2, 2, 2, 2, 1, 2, 1]);
    expect(report.problemCount).toBe(0);
  });

  it("takes the group size and the reward columns when given", async () => {
    const path = formatFixture("trl-completions/completions_00001.parquet");
    const { steps } = await readAll([path], { numGenerations: 2, rewardColumns: ["accuracy_reward"] });
    expect(column(steps[0], "group")).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(column(steps[0], "reward")).toEqual([1, 0, 1, 1, 0, 0, 0, 0]);
  });
});

describe("verl-console", () => {
  it("maps <=0.4 lines: 3 decimals, old names, main_task prefix, ANSI colours", async () => {
    const path = formatFixture("verl-console-v04.log");
    const { steps, report } = await readAll([path]);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    expect(steps[1].metrics).toEqual({
      entropy: 0.598,
      kl_ref: 0.001,
      pg_loss: -0.012,
      clip_frac: 0,
      ppo_kl: 0,
      grad_norm: 0.038,
      reward_mean: 0.425,
      response_length_mean: 322,
      truncation_rate: 0.012,
      step_time: 48.02,
      "actor/kl_coef": 0.001,
      "actor/lr(1e-4)": 0.01,
      "critic/score/max": 1,
      "critic/score/min": 0,
      "critic/rewards/mean": 0.425,
      "critic/advantages/mean": 0,
      "response_length/max": 512,
      "prompt_length/mean": 98.25,
      "timing/gen": 32.31,
      "timing/update_actor": 12.55,
      "perf/throughput": 62.919,
    });
    expect(report.otherLines).toBe(4);
    expect(report.problemCount).toBe(0);
  });

  it("maps >=0.5 lines: full precision, np.float64, Ray notes; wandb blocks are other output", async () => {
    const path = formatFixture("verl-console.log");
    const { steps, report } = await readAll([path]);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    expect(steps[0].metrics).toMatchObject({
      entropy: 0.22266578674316406,
      pg_loss: -0.004271888360381126,
      ppo_kl: -8.163164312320433e-6,
      lr: 1e-6,
      reward_mean: 0.5625,
      truncation_rate: 0.03125,
      step_time: 63.019921,
      "critic/advantages/mean": 2.1e-8,
      "perf/throughput": 1104.22,
      "training/global_step": 1,
    });
    expect(steps[2].metrics?.entropy).toBeNaN();
    // Step 2 logged again after a resume: the later line's values win, reported.
    expect(steps[1].metrics).toMatchObject({ entropy: 0.2190771698951721, reward_mean: 0.59765625 });
    expect(report.replacedSteps).toBe(1);
    expect(report.problems[0]).toMatchObject({ line: 7, field: "step" });
    expect(report.otherLines).toBe(15);
  });
});

describe("verl-file: the file logger's JSONL", () => {
  it("maps data, keeps elapsed_seconds, reads bare NaN", async () => {
    const { steps, report } = await readAll([formatFixture("verl-file.jsonl")]);
    expect(steps[0].metrics).toEqual({
      entropy: 0.6121,
      pg_loss: -0.0113,
      clip_frac: 0,
      ppo_kl: 0,
      grad_norm: 0.0412,
      lr: 1e-6,
      reward_mean: 0.3125,
      response_length_mean: 301.5,
      truncation_rate: 0,
      step_time: 48.02,
      "critic/rewards/mean": 0.3125,
      "training/global_step": 1,
    });
    expect(steps[1].metrics).toMatchObject({ grad_norm: NaN, ppo_kl: 1.2e-5, elapsed_seconds: 96.4 });
    expect(report.problemCount).toBe(0);
  });
});

describe("verl-rollout: rollout_data_dir dumps", () => {
  it("maps score to reward and acc to correct, groups identical inputs, leaves text out", async () => {
    const dir = formatFixture("verl-rollout");
    const { steps, report } = await readAll([dir]);
    expect(steps.map((s) => [s.run, s.step, s.trajectories?.rows])).toEqual([
      [dir, 1, 8],
      [dir, 2, 8],
    ]);
    const [one, two] = steps;
    expect([...one.trajectories!.columns.keys()]).toEqual(["group", "reward", "correct"]);
    expect(column(one, "group")).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(column(one, "reward")).toEqual([1, 0, 1, 1, 0, 0, 0, 0]);
    expect(column(one, "correct")).toEqual([1, 0, 1, 1, 0, 0, 0, 0]);
    expect(column(two, "reward")).toEqual([1, 1, 1, 1, 1, 0, 1, NaN]); // json.dumps wrote NaN
    expect(report.problemCount).toBe(0);
  });
});

describe("swift-jsonl: ms-swift logging.jsonl", () => {
  it("takes the step from global_step/max_steps, leaves the envelope's text out, skips the summary line", async () => {
    const { steps, report } = await readAll([formatFixture("swift-logging.jsonl")]);
    expect(steps.map((s) => s.step)).toEqual([5, 10]);
    expect(steps[0].metrics).toMatchObject({
      loss: 0.00412,
      grad_norm: 0.52,
      lr: 1e-6,
      response_length_mean: 412.5,
      truncation_rate: 0.0625,
      reward_mean: 1.3125,
      reward_std: 0.55,
      kl_ref: 0.00031,
      clip_frac: 0,
      entropy: 0.71,
      "memory(GiB)": 21.7,
      "entropy/max": 2.3,
      epoch: 0.01,
    });
    expect(Object.keys(steps[0].metrics!)).not.toContain("percentage");
    expect(steps[1].metrics).toMatchObject({ kl_ref: NaN, eval_loss: 0.0051, eval_reward: 1.21 });
    expect(report.otherLines).toBe(1);
    expect(report.problemCount).toBe(0);
  });
});

describe("wandb-jsonl: OpenRLHF's train/* keys as W&B exports its history", () => {
  it("steps by train/global_step, times by _timestamp, maps OpenRLHF's names, skips media rows", async () => {
    const path = formatFixture("openrlhf-history.jsonl");
    const { steps, report } = await readAll([path]);
    expect(steps.map((s) => [s.step, s.time])).toEqual([
      [1, 1732250060.5],
      [2, 1732250121],
      [3, 1732250181.5],
    ]);
    expect(steps[0].metrics).toEqual({
      pg_loss: 0.012,
      lr: 5e-7,
      grad_norm: 0.21,
      kl_ref: 0.0004,
      reward_mean: 0.31,
      response_length_mean: 410,
      clip_frac: 0.0015,
      ppo_kl: 2e-5,
      "train/return": 0.3,
      "train/total_length": 530,
      "train/group_reward_std": 0.18,
    });
    expect(report.otherLines).toBe(1);
    expect(report.problemCount).toBe(0);
  });
});

describe("wandb-csv", () => {
  it("reads run.history().to_csv(): index column ignored, empty cells missing, NaN kept", async () => {
    const path = formatFixture("wandb-export.csv");
    const { steps, report } = await readAll([path]);
    expect(steps.map((s) => [s.step, s.time])).toEqual([
      [1, 1732250060.5],
      [2, 1732250121],
      [3, 1732250181.5],
    ]);
    expect(steps[0].metrics).toEqual({
      pg_loss: 0.012,
      kl_ref: 0.0004,
      reward_mean: 0.31,
      response_length_mean: 410,
      clip_frac: 0.0015,
      lr: 5e-7,
    });
    expect(steps[1].metrics).not.toHaveProperty("kl_ref");
    expect(steps[2].metrics?.kl_ref).toBeNaN();
    expect(report.missingMetrics).toEqual({ [path]: { kl_ref: 1 } });
  });

  it("reads a panel export: one run per '<run> - <metric>' prefix, __MIN/__MAX kept", async () => {
    const { steps } = await readAll([formatFixture("wandb-panel.csv")]);
    expect(steps.map((s) => `${s.run}/${s.step}`)).toEqual([
      "grpo-a/1",
      "grpo-a/2",
      "grpo-b/1",
      "grpo-a/3",
      "grpo-b/3",
    ]);
    expect(steps[0].metrics).toEqual({ reward_mean: 0.31, "train/reward__MIN": 0.31, "train/reward__MAX": 0.31 });
  });
});
