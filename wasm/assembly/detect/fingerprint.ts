// Fingerprint matching. Mirrors native/src/detect/fingerprint.rs (definitions
// there): the same sums in the same order, and the shared exp, so both builds
// give the same bits. A set is one block of f64s: [fingerprints, dims,
// weights (dims), centroids (fingerprints x dims, row-major)].
// src/backend/checks.ts checks the shape and src/backend/wasm-detect.ts copies weights and centroids
// in after matcherInit.

import { clampNum } from "./numeric";
import { exp } from "./exp";
import { field, setField } from "./mod";

const FINGERPRINTS: i32 = 0;
const DIMS: i32 = 1;
/** f64s before the weights. */
const HEADER: i32 = 2;

// @ts-ignore: decorator
@inline
function weights(p: usize): usize {
  return p + (<usize>HEADER << 3);
}

// @ts-ignore: decorator
@inline
function centroids(p: usize): usize {
  return weights(p) + (<usize>field(p, DIMS) << 3);
}

/** Writes the header of a set of `fingerprints x dims` centroids at `p` (2 + dims + fingerprints x dims f64s). */
export function matcherInit(p: usize, fingerprints: u32, dims: u32): void {
  setField(p, FINGERPRINTS, <f64>fingerprints);
  setField(p, DIMS, <f64>dims);
}

/** The first dimension whose weight is negative or not finite, -1 when none is. */
export function matcherCheck(p: usize): i32 {
  const dims = <i32>field(p, DIMS);
  const w = weights(p);
  for (let d = 0; d < dims; d++) {
    const x = field(w, d);
    if (!(isFinite<f64>(x) && x >= 0.0)) return d;
  }
  return -1;
}

/** Weighted cosine similarity of the `dims` f64s at `v` and `c` over the
 *  dimensions where both are finite; 0 when either norm is 0 or not finite. */
export function cosine(v: usize, c: usize, w: usize, dims: i32): f64 {
  let dot = 0.0;
  let vv = 0.0;
  let cc = 0.0;
  for (let d = 0; d < dims; d++) {
    const x = field(v, d);
    const y = field(c, d);
    if (!isFinite<f64>(x) || !isFinite<f64>(y)) continue;
    const w2 = field(w, d) * field(w, d);
    dot += w2 * x * y;
    vv += w2 * x * x;
    cc += w2 * y * y;
  }
  if (!(vv > 0.0 && cc > 0.0 && isFinite<f64>(vv) && isFinite<f64>(cc))) return 0.0;
  return clampNum(dot / (Math.sqrt(vv) * Math.sqrt(cc)), -1.0, 1.0);
}

/** out[k] = e^(u_k - max u) / sum_j e^(u_j - max u), u_k = sim[k] / temperature
 *  (within ±F64.MAX_VALUE, for a subnormal temperature); `n` entries. */
export function softmax(sim: usize, n: i32, temperature: f64, out: usize): void {
  let top = -Infinity;
  for (let k = 0; k < n; k++) {
    const u = clampNum(field(sim, k) / temperature, -F64.MAX_VALUE, F64.MAX_VALUE);
    setField(out, k, u);
    if (u > top) top = u;
  }
  let total = 0.0;
  for (let k = 0; k < n; k++) {
    const e = exp(field(out, k) - top);
    setField(out, k, e);
    total += e;
  }
  for (let k = 0; k < n; k++) setField(out, k, field(out, k) / total);
}

/** Writes each fingerprint's similarity to the vector at `vector` and its
 *  confidence; returns the dimensions used (finite in the vector, weight above
 *  0), or -1 when the temperature is not finite and above 0 (nothing written). */
export function matcherMatch(p: usize, vector: usize, temperature: f64, similarity: usize, confidence: usize): i32 {
  if (!(isFinite<f64>(temperature) && temperature > 0.0)) return -1;
  const fingerprints = <i32>field(p, FINGERPRINTS);
  const dims = <i32>field(p, DIMS);
  const w = weights(p);
  const c = centroids(p);
  for (let k = 0; k < fingerprints; k++) {
    setField(similarity, k, cosine(vector, c + ((<usize>k * <usize>dims) << 3), w, dims));
  }
  softmax(similarity, fingerprints, temperature, confidence);
  let used = 0;
  for (let d = 0; d < dims; d++) {
    if (isFinite<f64>(field(vector, d)) && field(w, d) > 0.0) used++;
  }
  return used;
}
