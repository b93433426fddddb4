/**
 * Small crafted contexts for the rule tests. Every context has steps 10..17:
 * steps 10..14 are the healthy stretch the monitor keeps before the alarm,
 * the alarm is at step 15, and step 17 is judged (unless a test says
 * otherwise). Steps start at 10 so that evidence naming "step 15" cannot be
 * confused with an array index.
 */
import { makeContext, type TraceInput } from "../../src/diagnosis/build.js";
import type { DiagnosisContext, FingerprintMatch } from "../../src/diagnosis/context.js";
import type { Finding } from "../../src/diagnosis/rule.js";
import type { Anomaly, Diagnosis } from "../../src/verdict/types.js";

export const STEPS = [10, 11, 12, 13, 14, 15, 16, 17];
export const ALARM = 15;
const BEFORE = ALARM - STEPS[0];
const AFTER = STEPS.length - BEFORE;

const fill = <T>(n: number, v: T): T[] => new Array<T>(n).fill(v);

/** A healthy signal: the same value every step, z 0, reference = value. */
export function flat(value: number, reference = value): TraceInput {
  return { values: fill(STEPS.length, value), z: fill(STEPS.length, 0), reference };
}

/** Healthy at `before` (z 0) up to the alarm, then `after` with deviation `z` from the alarm on. */
export function jump(before: number, after: number, z: number, reference = before): TraceInput {
  return {
    values: [...fill(BEFORE, before), ...fill(AFTER, after)],
    z: [...fill(BEFORE, 0), ...fill(AFTER, z)],
    reference,
  };
}

/** Off from the first step: `value` with deviation `z` at every step (a misconfiguration). */
export function always(value: number, z: number, reference: number): TraceInput {
  return { values: fill(STEPS.length, value), z: fill(STEPS.length, z), reference };
}

/** Explicit per-step values and z (8 each). */
export function series(values: number[], z: number[], reference = values[0]): TraceInput {
  return { values, z, reference };
}

/** Values without any z (a monitor without a healthy prior for the signal): judged against the reference. */
export function noZ(values: number[], reference: number): TraceInput {
  return { values, reference };
}

export function ctx(
  signals: Record<string, TraceInput>,
  options: { step?: number; alarmStep?: number; fingerprints?: FingerprintMatch[]; anomalies?: Anomaly[] } = {},
): DiagnosisContext {
  return makeContext({
    run: "r1",
    steps: STEPS,
    step: options.step ?? STEPS[STEPS.length - 1],
    alarmStep: options.alarmStep ?? ALARM,
    signals,
    fingerprints: options.fingerprints ?? [],
    anomalies: options.anomalies ?? [],
  });
}

/** A healthy run's signals (everything at its reference, z 0): a base that tests override. */
export function healthy(): Record<string, TraceInput> {
  return {
    reward_mean: flat(0.5),
    reward_std: flat(0.4),
    correct_mean: flat(0.5),
    kl_ref: flat(0.01),
    ppo_kl: flat(0.002),
    entropy: flat(0.8),
    loss: flat(0.01),
    pg_loss: flat(0.01),
    grad_norm: flat(0.5),
    lr: flat(1e-6),
    clip_frac: flat(0.01),
    response_length_mean: flat(12),
    truncation_rate: flat(0.02),
    step_time: flat(3),
    num_trajectories: flat(64),
    tool_error_rate: flat(0),
    "group.zero_var_share": flat(0.2),
    "group.reward_mean_std": flat(0.3),
    "group.reward_std_mean": flat(0.35),
    "group.adv_center_abs_mean": flat(0),
    "group.adv_scale_mean": flat(0.8),
    "group.adv_scale_max": flat(0.95),
    "group.size_min": flat(8),
    "group.count": flat(8),
    "corr.reward_correct": flat(0.95),
    "corr.advantage_reward": flat(0.8),
    "corr.reward_length": flat(0),
    "rate.format": flat(0.95),
    "rate.truncation": flat(0.02),
    "rate.tool_error": flat(0),
    "logprob_gap.mean": flat(0.005),
    "logprob_gap.max": flat(0.3),
    "ratio_max.max": flat(1.3),
    "ratio_mean.mean": flat(1),
    "repetition.mean": flat(0.1),
    "kl_ref.p90": flat(0.03),
    "kl_ref.mean": flat(0.01),
    "entropy_mean.mean": flat(0.8),
    "entropy_mean.p10": flat(0.3),
    "length.mean": flat(12),
    "length.p90": flat(16),
    "tool_calls.mean": flat(1),
    "logprob_mean.mean": flat(-0.8),
    "reward.mean": flat(0.5),
    "correct.mean": flat(0.5),
    "advantage.mean": flat(0),
    "advantage.std": flat(0.8),
    nonfinite: flat(0),
  };
}

/** The step-metric part of `healthy()` (a run that logs no trajectory tensor). */
export function stepOnly(): Record<string, TraceInput> {
  return Object.fromEntries(Object.entries(healthy()).filter(([name]) => !name.includes(".") && name !== "nonfinite"));
}

/** Whether some evidence line mentions all the given fragments. */
export function mentions(f: Finding | Diagnosis | null | undefined, ...fragments: string[]): boolean {
  return !!f && f.evidence.some((line) => fragments.every((x) => line.includes(x)));
}
