/**
 * The policy: a small MLP language model over the whole context.
 *
 * Each (position, token) pair has an embedding; the first hidden layer sums
 * the embeddings of every token so far (so it sees the whole prompt and what
 * was written), two ReLU layers follow, and a linear layer gives next-token
 * logits. About 34k parameters, all in one Float64Array so that copying,
 * checkpoints, the rollout copy, Adam and gradient clipping are flat loops.
 * Gradients are written by hand: the architecture is fixed and tiny.
 */
import type { Random } from "../random.js";
import { MAX_CONTEXT, VOCAB } from "./task.js";

export const H1 = 64;
export const H2 = 64;

const E = 0; // MAX_CONTEXT x VOCAB x H1 position-token embeddings
const B1 = E + MAX_CONTEXT * VOCAB * H1;
const W2 = B1 + H1; // H2 x H1
const B2 = W2 + H2 * H1;
const W3 = B2 + H2; // VOCAB x H2
const B3 = W3 + VOCAB * H2;
export const PARAMS = B3 + VOCAB;

export function initParams(rng: Random): Float64Array {
  const p = new Float64Array(PARAMS);
  const fill = (from: number, count: number, scale: number) => {
    for (let i = 0; i < count; i++) p[from + i] = scale * rng.normal();
  };
  fill(E, B1 - E, 0.3);
  fill(W2, H2 * H1, Math.sqrt(2 / H1));
  fill(W3, VOCAB * H2, Math.sqrt(1 / H2));
  return p;
}

/**
 * Activations of one sequence at the positions that were scored, kept for the
 * backward pass. Row t of each matrix belongs to the t-th scored position.
 */
export interface SequenceCache {
  tokens: readonly number[];
  /** First scored position: the distribution at position t predicts tokens[t] from tokens[0..t). */
  start: number;
  temperature: number;
  a1: Float64Array;
  a2: Float64Array;
  /** Probabilities (after temperature) at each scored position. */
  probs: Float64Array;
  /** log-probability of the token actually at each scored position. */
  logp: Float64Array;
  /** Entropy of the distribution at each scored position. */
  entropy: Float64Array;
}

/**
 * Scores tokens[start..] under `p`: the log-probability of each token given the
 * ones before it, at `temperature`. Non-finite weights give non-finite results.
 */
export function forward(p: Float64Array, tokens: readonly number[], start: number, temperature: number): SequenceCache {
  const n = tokens.length - start;
  const cache: SequenceCache = {
    tokens,
    start,
    temperature,
    a1: new Float64Array(n * H1),
    a2: new Float64Array(n * H2),
    probs: new Float64Array(n * VOCAB),
    logp: new Float64Array(n),
    entropy: new Float64Array(n),
  };
  const acc = new Float64Array(H1);
  for (let j = 0; j < H1; j++) acc[j] = p[B1 + j];
  for (let pos = 0; pos < start; pos++) addEmbedding(p, acc, pos, tokens[pos]);
  for (let t = 0; t < n; t++) {
    cache.a1.set(acc, t * H1);
    const row = distribution(
      p,
      acc,
      temperature,
      cache.a2.subarray(t * H2, (t + 1) * H2),
      cache.probs.subarray(t * VOCAB, (t + 1) * VOCAB),
    );
    const token = tokens[start + t];
    cache.logp[t] = Math.log(row.probs[token]);
    cache.entropy[t] = row.entropy;
    if (start + t < MAX_CONTEXT) addEmbedding(p, acc, start + t, token);
  }
  return cache;
}

function addEmbedding(p: Float64Array, acc: Float64Array, pos: number, token: number): void {
  const base = E + (pos * VOCAB + token) * H1;
  for (let j = 0; j < H1; j++) acc[j] += p[base + j];
}

/** Next-token distribution from the first layer's pre-activation `a1`; fills `a2` and `probs`. */
function distribution(
  p: Float64Array,
  a1: Float64Array,
  temperature: number,
  a2: Float64Array,
  probs: Float64Array,
): { probs: Float64Array; entropy: number } {
  for (let k = 0; k < H2; k++) {
    let s = p[B2 + k];
    const w = W2 + k * H1;
    for (let j = 0; j < H1; j++) {
      const h = a1[j];
      if (h > 0) s += p[w + j] * h;
    }
    a2[k] = s;
  }
  let max = -Infinity;
  for (let v = 0; v < VOCAB; v++) {
    let s = p[B3 + v];
    const w = W3 + v * H2;
    for (let k = 0; k < H2; k++) {
      const h = a2[k];
      if (h > 0) s += p[w + k] * h;
    }
    s /= temperature;
    probs[v] = s;
    if (s > max) max = s;
  }
  let z = 0;
  for (let v = 0; v < VOCAB; v++) {
    probs[v] = Math.exp(probs[v] - max);
    z += probs[v];
  }
  // Non-finite weights give a non-finite distribution, and its entropy says so.
  let entropy = Number.isFinite(z) ? 0 : NaN;
  for (let v = 0; v < VOCAB; v++) {
    probs[v] /= z;
    if (probs[v] > 0) entropy -= probs[v] * Math.log(probs[v]);
  }
  return { probs, entropy };
}

/**
 * Incremental sampling state: the first layer's running sum over the context,
 * so each new token costs one embedding add and one distribution.
 */
export class Sampler {
  private readonly acc = new Float64Array(H1);
  private readonly a2 = new Float64Array(H2);
  readonly probs = new Float64Array(VOCAB);
  private length = 0;

  constructor(
    private readonly p: Float64Array,
    private readonly temperature: number,
  ) {
    for (let j = 0; j < H1; j++) this.acc[j] = p[B1 + j];
  }

  /** Appends a context token (prompt, sampled or observed). */
  push(token: number): void {
    if (this.length < MAX_CONTEXT) addEmbedding(this.p, this.acc, this.length, token);
    this.length++;
  }

  /** Distribution of the next token; returns its entropy (probabilities in `probs`). */
  next(): number {
    return distribution(this.p, this.acc, this.temperature, this.a2, this.probs).entropy;
  }
}

/**
 * Adds to `grad` the gradient of a loss whose derivative with respect to the
 * log-probability of the token at scored position t is `dlogp[t]`, minus
 * `entropyWeight[t]` times the entropy at t (an entropy bonus), when given.
 */
export function backward(
  p: Float64Array,
  cache: SequenceCache,
  dlogp: Float64Array,
  entropyWeight: Float64Array | null,
  grad: Float64Array,
): void {
  const { tokens, start, temperature } = cache;
  const n = tokens.length - start;
  const dz = new Float64Array(VOCAB);
  const da2 = new Float64Array(H2);
  const da1 = new Float64Array(n * H1);
  for (let t = 0; t < n; t++) {
    const probs = cache.probs.subarray(t * VOCAB, (t + 1) * VOCAB);
    const a2 = cache.a2.subarray(t * H2, (t + 1) * H2);
    const a1 = cache.a1.subarray(t * H1, (t + 1) * H1);
    const g = dlogp[t];
    const h = cache.entropy[t];
    const entropyCoef = entropyWeight ? entropyWeight[t] : 0;
    for (let v = 0; v < VOCAB; v++) {
      const onehot = v === tokens[start + t] ? 1 : 0;
      // d logp(token)/dz = (onehot - p)/T; d entropy/dz = -p (log p + H)/T.
      const dEntropy = probs[v] > 0 ? -probs[v] * (Math.log(probs[v]) + h) : 0;
      dz[v] = (g * (onehot - probs[v]) - entropyCoef * dEntropy) / temperature;
    }
    da2.fill(0);
    for (let v = 0; v < VOCAB; v++) {
      const d = dz[v];
      if (d === 0) continue;
      grad[B3 + v] += d;
      const w = W3 + v * H2;
      for (let k = 0; k < H2; k++) {
        if (a2[k] > 0) {
          grad[w + k] += d * a2[k];
          da2[k] += d * p[w + k];
        }
      }
    }
    const d1 = da1.subarray(t * H1, (t + 1) * H1);
    for (let k = 0; k < H2; k++) {
      const d = da2[k];
      if (a2[k] <= 0 || d === 0) continue;
      grad[B2 + k] += d;
      const w = W2 + k * H1;
      for (let j = 0; j < H1; j++) {
        if (a1[j] > 0) {
          grad[w + j] += d * a1[j];
          d1[j] += d * p[w + j];
        }
      }
    }
    for (let j = 0; j < H1; j++) if (a1[j] <= 0) d1[j] = 0;
  }
  // a1 at scored position t sums b1 and the embeddings of positions < start + t,
  // so the embedding at position q collects da1 from every later scored position.
  const suffix = new Float64Array(H1);
  for (let q = tokens.length - 2; q >= 0; q--) {
    const t = q + 1 - start;
    if (t >= 0 && t < n) for (let j = 0; j < H1; j++) suffix[j] += da1[t * H1 + j];
    if (q >= MAX_CONTEXT) continue;
    const base = E + (q * VOCAB + tokens[q]) * H1;
    for (let j = 0; j < H1; j++) grad[base + j] += suffix[j];
  }
  for (let t = 0; t < n; t++) for (let j = 0; j < H1; j++) grad[B1 + j] += da1[t * H1 + j];
}

/** Global L2 norm of a gradient. */
export function norm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** Adam (Kingma & Ba), state kept beside the parameters so checkpoints can copy it. */
export class Adam {
  m = new Float64Array(PARAMS);
  v = new Float64Array(PARAMS);
  t = 0;

  step(p: Float64Array, grad: Float64Array, lr: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8): void {
    this.t++;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    for (let i = 0; i < p.length; i++) {
      const g = grad[i];
      this.m[i] = beta1 * this.m[i] + (1 - beta1) * g;
      this.v[i] = beta2 * this.v[i] + (1 - beta2) * g * g;
      p[i] -= (lr * (this.m[i] / c1)) / (Math.sqrt(this.v[i] / c2) + eps);
    }
  }

  clone(): Adam {
    const a = new Adam();
    a.m.set(this.m);
    a.v.set(this.v);
    a.t = this.t;
    return a;
  }
}

/**
 * The parameters rounded to `bits` mantissa bits, as a lower-precision
 * inference engine would hold them (8 bits is about bfloat16).
 */
export function roundMantissa(p: Float64Array, bits: number): Float64Array {
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const x = p[i];
    if (x === 0 || !Number.isFinite(x)) {
      out[i] = x;
      continue;
    }
    const quantum = 2 ** (Math.floor(Math.log2(Math.abs(x))) - bits);
    out[i] = Math.round(x / quantum) * quantum;
  }
  return out;
}
