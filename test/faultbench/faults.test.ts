/**
 * Each fault changes what it should, inside the pipeline: one short run per
 * fault id (severe, onset at step 3 for mid-run faults), against the healthy
 * run of the same seed and settings, which it matches step for step before onset.
 */
import { describe, expect, it } from "vitest";
import { CONFIGURATION_FAULTS, FAULT_IDS, type FaultId } from "../../bench/faultbench/faults.js";
import { NOMINAL } from "../../bench/faultbench/hparams.js";
import { type LoggedStep, mean, trainShort } from "./helpers.js";

const ONSET = 3;
const healthy = trainShort(null);
const runs = new Map(FAULT_IDS.map((fault) => [fault, trainShort(fault, { onset: ONSET })]));
const run = (fault: FaultId) => runs.get(fault)!;
/** Steps from onset on (0-based index of step ONSET is ONSET - 1). */
const afterOnset = (steps: LoggedStep[]) => steps.slice(ONSET - 1);
const beforeOnset = (steps: LoggedStep[]) => steps.slice(0, ONSET - 1);
const rows = (steps: LoggedStep[], column: string) => steps.flatMap((s) => s.columns[column]);

/** Whether the step's group ids put samples of different prompts together. */
const mixesPrompts = (s: LoggedStep) => {
  const prompts = new Map<number, Set<number>>();
  s.columns.group.forEach((g, i) => {
    prompts.set(g, (prompts.get(g) ?? new Set()).add(s.columns.prompt_id[i]));
  });
  return [...prompts.values()].some((p) => p.size > 1);
};

/** Sum over trajectories of advantage x (reward - its group's mean reward): positive when advantages follow rewards. */
const advantageAlignment = (s: LoggedStep) => {
  const { group, reward, advantage } = s.columns;
  const groupMean = (g: number) => mean(reward.filter((_, i) => group[i] === g));
  return advantage.reduce((sum, a, i) => sum + a * (reward[i] - groupMean(group[i])), 0);
};

describe("fault injection", () => {
  it.each(FAULT_IDS.filter((f) => !CONFIGURATION_FAULTS.has(f)))("%s changes nothing before its onset", (fault) => {
    expect(beforeOnset(run(fault).steps)).toEqual(beforeOnset(healthy.steps));
  });

  it("reward_noise: rewards disagree with correctness from onset on", () => {
    const disagree = (steps: LoggedStep[]) =>
      steps.some((s) => s.columns.reward.some((r, i) => r !== s.columns.correct[i]));
    expect(disagree(afterOnset(run("reward_noise").steps))).toBe(true);
  });

  it("reward_hacking: the lenient parser pays answers that are not correct, never the reverse", () => {
    const steps = afterOnset(run("reward_hacking").steps);
    const paidWrong = steps.flatMap((s) => s.columns.reward.filter((r, i) => r === 1 && s.columns.correct[i] === 0));
    expect(paidWrong.length).toBeGreaterThan(0);
    for (const s of steps)
      s.columns.reward.forEach((r, i) => {
        expect(r).toBeGreaterThanOrEqual(s.columns.correct[i]);
      });
  });

  it("reward_parse_failure: every reward is 0 from onset on, while some answers are correct", () => {
    const steps = afterOnset(run("reward_parse_failure").steps);
    expect(rows(steps, "reward").every((r) => r === 0)).toBe(true);
    expect(rows(steps, "correct").some((c) => c === 1)).toBe(true);
  });

  it("temperature_misconfigured: the sampling temperature is 3x nominal and entropy rises from step 1", () => {
    const { trainer, steps } = run("temperature_misconfigured");
    expect(trainer.hp.temperature).toBe(3 * NOMINAL.temperature);
    expect(steps[0].metrics.entropy).toBeGreaterThan(1.5 * healthy.steps[0].metrics.entropy);
  });

  it("length_truncation: responses are cut at 5 tokens and truncation is frequent", () => {
    const { trainer, steps } = run("length_truncation");
    expect(trainer.hp.maxResponseLength).toBe(5);
    expect(Math.max(...rows(steps, "length"))).toBeLessThanOrEqual(5);
    expect(mean(steps.map((s) => s.metrics.truncation_rate))).toBeGreaterThan(
      mean(healthy.steps.map((s) => s.metrics.truncation_rate)) + 0.2,
    );
  });

  it("rollout_policy_mismatch: the weight sync stops, so the rollout-vs-trainer log-prob gap and the ratios drift", () => {
    const last = (steps: LoggedStep[]) => steps[steps.length - 1];
    const gap = last(run("rollout_policy_mismatch").steps).metrics;
    const faulty = last(run("rollout_policy_mismatch").steps).columns;
    const nominal = last(healthy.steps).columns;
    expect(mean(faulty.logprob_gap)).toBeGreaterThan(5 * mean(nominal.logprob_gap));
    expect(mean(nominal.logprob_gap)).toBeLessThan(0.005);
    expect(Math.max(...faulty.ratio_max)).toBeGreaterThan(Math.max(...nominal.ratio_max));
    expect(gap.num_trajectories).toBe(64);
  });

  it("lr_too_high: the learning rate is 40x and each update moves the policy far more", () => {
    const { trainer, steps } = run("lr_too_high");
    expect(trainer.hp.lr).toBeCloseTo(40 * NOMINAL.lr, 12);
    expect(steps[0].metrics.lr).toBeCloseTo(40 * NOMINAL.lr, 9);
    expect(Math.abs(steps[0].metrics.ppo_kl)).toBeGreaterThan(5 * Math.abs(healthy.steps[0].metrics.ppo_kl));
  });

  it("kl_penalty_off: the KL coefficient is 0, so the loss is the policy-gradient loss alone", () => {
    const { trainer, steps } = run("kl_penalty_off");
    expect(trainer.hp.klCoef).toBe(0);
    for (const s of steps.slice(1)) expect(s.metrics.loss).toBeCloseTo(s.metrics.pg_loss, 5);
    expect(healthy.steps[3].metrics.loss).not.toBeCloseTo(healthy.steps[3].metrics.pg_loss, 5);
  });

  it("gradient_explosion: the gradient norm jumps by orders of magnitude at onset", () => {
    const at = ONSET - 1;
    expect(run("gradient_explosion").steps[at].metrics.grad_norm).toBeGreaterThan(
      100 * healthy.steps[at].metrics.grad_norm,
    );
  });

  it("nan_inf: non-finite values appear in the trajectories from onset on", () => {
    const nonfinite = (s: LoggedStep) =>
      Object.values(s.columns).some((column) => column.some((x) => !Number.isFinite(x)));
    const steps = run("nan_inf").steps;
    expect(beforeOnset(steps).some(nonfinite)).toBe(false);
    expect(afterOnset(steps).every(nonfinite)).toBe(true);
  });

  it("group_misindexing: group ids put samples of different prompts together from step 1", () => {
    expect(run("group_misindexing").steps.every(mixesPrompts)).toBe(true);
    expect(healthy.steps.some(mixesPrompts)).toBe(false);
  });

  it("advantage_misnormalization: advantages point against the rewards from step 1 (flipped sign)", () => {
    expect(run("advantage_misnormalization").steps.every((s) => advantageAlignment(s) < 0)).toBe(true);
    expect(healthy.steps.every((s) => advantageAlignment(s) > 0)).toBe(true);
  });

  it("difficulty_skew: every prompt comes from the easy pool from onset on", () => {
    const steps = run("difficulty_skew").steps;
    expect(rows(beforeOnset(steps), "prompt_id").every((id) => id < 512)).toBe(true);
    expect(rows(afterOnset(steps), "prompt_id").every((id) => id >= 512 && id < 1024)).toBe(true);
  });

  it("tool_failure: every calculator call fails from onset on, none before", () => {
    const steps = run("tool_failure").steps;
    expect(rows(beforeOnset(steps), "tool_errors").every((e) => e === 0)).toBe(true);
    expect(rows(afterOnset(steps), "tool_calls").reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(rows(afterOnset(steps), "tool_errors")).toEqual(rows(afterOnset(steps), "tool_calls"));
  });

  it("observation_corruption: garbled prompts make answers wrong from onset on", () => {
    const correct = (steps: LoggedStep[]) => mean(afterOnset(steps).map((s) => s.metrics.correct_mean));
    expect(correct(run("observation_corruption").steps)).toBeLessThan(0.5 * correct(healthy.steps));
  });

  it("worker_failure: 6 of 8 rollout workers stop, so 16 trajectories are left and the step waits out their timeout", () => {
    const steps = run("worker_failure").steps;
    expect(afterOnset(steps).map((s) => s.metrics.num_trajectories)).toEqual(afterOnset(steps).map(() => 16));
    const slowestBefore = Math.max(...beforeOnset(steps).map((s) => s.metrics.step_time));
    for (const s of afterOnset(steps)) expect(s.metrics.step_time).toBeGreaterThan(slowestBefore + 1);
  });
});
