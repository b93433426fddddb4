/**
 * The learner: group-normalised advantages and the PPO-clipped update with a
 * KL penalty to the frozen reference, several inner epochs over minibatches,
 * global gradient clipping and Adam.
 */
import type { Random } from "../random.js";
import type { HParams } from "./hparams.js";
import { type Adam, backward, forward, norm } from "./model.js";

export type AdvantageBug = "uncentred" | "scaled" | "flipped" | null;

/**
 * GRPO advantages: each reward minus its group's mean, over the group's
 * sample std (as torch.std) plus eps. `bug` reproduces the classic mistakes.
 */
export function groupAdvantages(rewards: readonly number[], groups: readonly number[], bug: AdvantageBug): number[] {
  if (bug === "uncentred") {
    // The group mean is never subtracted; the scale comes from the whole batch.
    const batchStd = sampleStd(rewards);
    return rewards.map((r) => r / (batchStd + 1e-6));
  }
  const adv = new Array<number>(rewards.length).fill(0);
  for (const rows of groupMembers(groups).values()) {
    const rs = rows.map((i) => rewards[i]);
    const mean = rs.reduce((s, r) => s + r, 0) / rs.length;
    const std = sampleStd(rs);
    for (const i of rows) {
      let a = (rewards[i] - mean) / (std + 1e-6);
      if (bug === "scaled") a *= 10;
      if (bug === "flipped") a = -a;
      adv[i] = a;
    }
  }
  return adv;
}

/** The rows of each group id, in row order. */
export function groupMembers(groups: readonly number[]): Map<number, number[]> {
  const members = new Map<number, number[]>();
  groups.forEach((g, i) => {
    const rows = members.get(g);
    if (rows) rows.push(i);
    else members.set(g, [i]);
  });
  return members;
}

/** Sample standard deviation (as torch.std); 0 for fewer than two values. */
function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
}

/** One trajectory as the learner sees it. */
export interface Sample {
  /** Prompt and response tokens. */
  tokens: number[];
  /** Where the response starts. */
  start: number;
  /** Per response token: 1 for a policy action, 0 for an observation. */
  mask: number[];
  advantage: number;
  /** The trainer's log-probabilities before the update, per response token. */
  oldLogp: Float64Array;
  /** The frozen reference's log-probabilities, per response token. */
  refLogp: Float64Array;
}

/** The learner's settings: the run's hyperparameters, plus what a fault may impose on one step. */
export interface UpdateSettings
  extends Pick<
    HParams,
    "lr" | "klCoef" | "clipEps" | "entropyCoef" | "epochs" | "minibatches" | "gradClip" | "temperature"
  > {
  /** Multiplies the loss (a bad batch under a broken loss scale); clipping is off while it is above 1. */
  lossScale: number;
  /** Let non-finite gradients reach the weights (no NaN guard). */
  unguarded: boolean;
}

export interface UpdateStats {
  loss: number;
  pgLoss: number;
  /** Mean pre-clip gradient norm over the inner updates (non-finite when one was). */
  gradNorm: number;
  clipFrac: number;
  /** Mean over policy tokens of old minus new log-probability after the update. */
  ppoKl: number;
  /** Inner updates skipped because their gradient was not finite. */
  skipped: number;
}

/** k3 estimator of KL(new || ref) per token, and its derivative in logp_new. */
function klTerm(logpNew: number, logpRef: number): [number, number] {
  const r = Math.exp(logpRef - logpNew);
  return [r - (logpRef - logpNew) - 1, 1 - r];
}

export function ppoUpdate(
  params: Float64Array,
  adam: Adam,
  samples: Sample[],
  s: UpdateSettings,
  rng: Random,
): UpdateStats {
  const grad = new Float64Array(params.length);
  let lossSum = 0;
  let pgSum = 0;
  let tokenCount = 0;
  let clipped = 0;
  const norms: number[] = [];
  let skipped = 0;
  const order = samples.map((_, i) => i);
  for (let epoch = 0; epoch < s.epochs; epoch++) {
    shuffle(order, rng);
    for (let m = 0; m < s.minibatches; m++) {
      const batch = order.filter((_, k) => k % s.minibatches === m).map((i) => samples[i]);
      if (batch.length === 0) continue;
      grad.fill(0);
      for (const sample of batch) {
        const cache = forward(params, sample.tokens, sample.start, s.temperature);
        const n = cache.logp.length;
        const actions = sample.mask.reduce((a, b) => a + b, 0) || 1;
        const w = s.lossScale / actions / batch.length;
        const dlogp = new Float64Array(n);
        const entropyWeight = s.entropyCoef > 0 ? new Float64Array(n) : null;
        for (let t = 0; t < n; t++) {
          if (!sample.mask[t]) continue;
          const ratio = Math.exp(cache.logp[t] - sample.oldLogp[t]);
          const a = sample.advantage;
          const clippedRatio = Math.min(Math.max(ratio, 1 - s.clipEps), 1 + s.clipEps);
          const unclippedWins = ratio * a <= clippedRatio * a;
          const [kl, dkl] = klTerm(cache.logp[t], sample.refLogp[t]);
          const pg = -Math.min(ratio * a, clippedRatio * a);
          pgSum += pg;
          lossSum += pg + s.klCoef * kl - s.entropyCoef * cache.entropy[t];
          tokenCount++;
          if (!unclippedWins) clipped++;
          // A non-finite ratio poisons the gradient, as it would through autograd.
          const policyTerm = unclippedWins || !Number.isFinite(ratio) ? -a * ratio : 0;
          dlogp[t] = w * (policyTerm + s.klCoef * dkl);
          if (entropyWeight) entropyWeight[t] = w * s.entropyCoef;
        }
        backward(params, cache, dlogp, entropyWeight, grad);
      }
      const g = norm(grad);
      norms.push(g);
      if (!Number.isFinite(g) && !s.unguarded) {
        skipped++;
        continue;
      }
      const cap = s.lossScale > 1 ? Infinity : s.gradClip;
      if (g > cap) for (let i = 0; i < grad.length; i++) grad[i] *= cap / g;
      adam.step(params, grad, s.lr);
    }
  }
  let ppoKl = 0;
  let policyTokens = 0;
  for (const sample of samples) {
    const cache = forward(params, sample.tokens, sample.start, s.temperature);
    for (let t = 0; t < cache.logp.length; t++) {
      if (!sample.mask[t]) continue;
      ppoKl += sample.oldLogp[t] - cache.logp[t];
      policyTokens++;
    }
  }
  // With no trainable token the loss is undefined, and logged as such.
  return {
    loss: tokenCount ? lossSum / tokenCount : NaN,
    pgLoss: tokenCount ? pgSum / tokenCount : NaN,
    gradNorm: norms.length ? norms.reduce((a, b) => a + b, 0) / norms.length : 0,
    clipFrac: clipped / Math.max(1, tokenCount),
    ppoKl: ppoKl / Math.max(1, policyTokens),
    skipped,
  };
}

function shuffle(a: number[], rng: Random): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
}
