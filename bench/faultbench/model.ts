/**
 * The policy: a small MLP language model over the whole context.
 *
 * Each (position, token) pair has an embedding; the first hidden layer sums
 * the embeddings of every token so far (so it sees the whole prompt and what
 * was written), two ReLU layers follow, and a linear layer gives next-token
 * logits. About 34k parameters at the nominal width (64; a setup may choose another), all in one Float64Array so that copying,
 * checkpoints, the rollout copy, Adam and gradient clipping are flat loops.
 * Gradients are written by hand: the architecture is fixed and tiny.
 */
import type { Random } from "../random.js";
import { MAX_CONTEXT, VOCAB } from "./task.js";

/** The nominal hidden width (both hidden layers). */
export const H1 = 64;
export const H2 = 64;

/**
 * Where each weight block starts in the flat parameter vector of a model of
 * hidden width `h1` x `h2`. The width is a setup's (setups.ts): the vector's
 * length says which layout it has, so every function below takes only `p`.
 */
export interface Layout {
  h1: number;
  h2: number;
  /** MAX_CONTEXT x VOCAB x h1 position-token embeddings */
  e: number;
  b1: number;
  /** h2 x h1 */
  w2: number;
  b2: number;
  /** VOCAB x h2 */
  w3: number;
  b3: number;
  size: number;
}

function makeLayout(h1: number, h2: number): Layout {
  const e = 0;
  const b1 = e + MAX_CONTEXT * VOCAB * h1;
  const w2 = b1 + h1;
  const b2 = w2 + h2 * h1;
  const w3 = b2 + h2;
  const b3 = w3 + VOCAB * h2;
  return { h1, h2, e, b1, w2, b2, w3, b3, size: b3 + VOCAB };
}

/** Layouts by parameter count (one per width in use; the nominal one always). */
const layouts = new Map<number, Layout>();

/** The layout of a model of hidden width `width` (both layers), registered so that its vectors are recognised. */
export function layoutFor(width: number): Layout {
  if (!Number.isInteger(width) || width < 1) throw new Error(`model width: expected a whole number >= 1, got ${width}`);
  const layout = makeLayout(width, width);
  const known = layouts.get(layout.size);
  if (known) return known;
  layouts.set(layout.size, layout);
  return layout;
}

/** The layout a parameter vector (weights, a gradient, Adam's moments) has, from its length. */
export function layoutOf(p: Float64Array): Layout {
  const layout = layouts.get(p.length);
  if (!layout) throw new Error(`model: ${p.length} parameters match no registered width (see layoutFor)`);
  return layout;
}

const NOMINAL_LAYOUT = layoutFor(H1);
/** Parameters of the nominal model. */
export const PARAMS = NOMINAL_LAYOUT.size;

export function initParams(rng: Random, width = H1): Float64Array {
  const { e, b1, w2, w3, h1, h2, size } = layoutFor(width);
  const p = new Float64Array(size);
  const fill = (from: number, count: number, scale: number) => {
    for (let i = 0; i < count; i++) p[from + i] = scale * rng.normal();
  };
  fill(e, b1 - e, 0.3);
  fill(w2, h2 * h1, Math.sqrt(2 / h1));
  fill(w3, VOCAB * h2, Math.sqrt(1 / h2));
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
  const L = layoutOf(p);
  const { h1: H1, h2: H2 } = L;
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
  for (let j = 0; j < H1; j++) acc[j] = p[L.b1 + j];
  for (let pos = 0; pos < start; pos++) addEmbedding(L, p, acc, pos, tokens[pos]);
  for (let t = 0; t < n; t++) {
    cache.a1.set(acc, t * H1);
    const row = distribution(
      L,
      p,
      acc,
      temperature,
      cache.a2.subarray(t * H2, (t + 1) * H2),
      cache.probs.subarray(t * VOCAB, (t + 1) * VOCAB),
    );
    const token = tokens[start + t];
    cache.logp[t] = Math.log(row.probs[token]);
    cache.entropy[t] = row.entropy;
    if (start + t < MAX_CONTEXT) addEmbedding(L, p, acc, start + t, token);
  }
  return cache;
}

function addEmbedding(L: Layout, p: Float64Array, acc: Float64Array, pos: number, token: number): void {
  const H1 = L.h1;
  const base = L.e + (pos * VOCAB + token) * H1;
  for (let j = 0; j < H1; j++) acc[j] += p[base + j];
}

/** Next-token distribution from the first layer's pre-activation `a1`; fills `a2` and `probs`. */
function distribution(
  L: Layout,
  p: Float64Array,
  a1: Float64Array,
  temperature: number,
  a2: Float64Array,
  probs: Float64Array,
): { probs: Float64Array; entropy: number } {
  const { h1: H1, h2: H2, b2: B2, w2: W2, b3: B3, w3: W3 } = L;
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
  private readonly layout: Layout;
  private readonly acc: Float64Array;
  private readonly a2: Float64Array;
  readonly probs = new Float64Array(VOCAB);
  private length = 0;

  constructor(
    private readonly p: Float64Array,
    private readonly temperature: number,
  ) {
    this.layout = layoutOf(p);
    this.acc = new Float64Array(this.layout.h1);
    this.a2 = new Float64Array(this.layout.h2);
    for (let j = 0; j < this.layout.h1; j++) this.acc[j] = p[this.layout.b1 + j];
  }

  /** Appends a context token (prompt, sampled or observed). */
  push(token: number): void {
    if (this.length < MAX_CONTEXT) addEmbedding(this.layout, this.p, this.acc, this.length, token);
    this.length++;
  }

  /** Distribution of the next token; returns its entropy (probabilities in `probs`). */
  next(): number {
    return distribution(this.layout, this.p, this.acc, this.temperature, this.a2, this.probs).entropy;
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
  const L = layoutOf(p);
  const { h1: H1, h2: H2, b1: B1, b2: B2, w2: W2, b3: B3, w3: W3, e: E } = L;
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
  m: Float64Array;
  v: Float64Array;
  t = 0;

  /** State for a model of `size` parameters (default: the nominal model). */
  constructor(size = PARAMS) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

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
    const a = new Adam(this.m.length);
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
