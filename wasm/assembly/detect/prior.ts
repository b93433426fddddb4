// Healthy prior scoring. Mirrors native/src/detect/prior.rs (definitions there).
// A table is one block of f64s: [signals, buckets, center (signals x buckets),
// scale (signals x buckets)], row-major by signal. src/backend/checks.ts
// checks the shape and src/backend/wasm-detect.ts copies center and scale in after priorInit.

import { clampNum, maxNum, minNum } from "./numeric";
import { field, setField } from "./mod";
import { Z_MAX } from "../generated/detect";

const SIGNALS: i32 = 0;
const BUCKETS: i32 = 1;
/** f64s before the centers. */
const HEADER: i32 = 2;

// @ts-ignore: decorator
@inline
function cells(p: usize): usize {
  return <usize>field(p, SIGNALS) * <usize>field(p, BUCKETS);
}

// @ts-ignore: decorator
@inline
function centers(p: usize): usize {
  return p + (<usize>HEADER << 3);
}

// @ts-ignore: decorator
@inline
function scales(p: usize): usize {
  return centers(p) + (cells(p) << 3);
}

/** Writes the header of a table of `signals x buckets` cells at `p` (2 + 2 x cells f64s). */
export function priorInit(p: usize, signals: u32, buckets: u32): void {
  setField(p, SIGNALS, <f64>signals);
  setField(p, BUCKETS, <f64>buckets);
}

/** The first cell whose scale is negative, -1 when none is. */
export function priorCheck(p: usize): i32 {
  const n = cells(p);
  const scale = scales(p);
  for (let i: usize = 0; i < n; i++) {
    if (load<f64>(scale + (i << 3)) < 0.0) return <i32>i;
  }
  return -1;
}

/** The z of `x` against a cell; NaN when `x` is not finite or the cell has no reference. */
export function zOf(x: f64, center: f64, scale: f64): f64 {
  if (!isFinite<f64>(x) || !isFinite<f64>(center) || !isFinite<f64>(scale) || scale <= 0.0) return NaN;
  return clampNum((x - center) / scale, -Z_MAX, Z_MAX);
}

/** Scores `n` observations (u32 signals, u32 steps, f64 values) into `z`.
 *  Returns 0, or -(i + 1) when the signal of observation i is not below the
 *  table's signals (nothing written then). */
export function priorScore(p: usize, signals: usize, steps: usize, values: usize, n: i32, z: usize): i32 {
  const width = <u32>field(p, SIGNALS);
  for (let i = 0; i < n; i++) {
    if (load<u32>(signals + (<usize>i << 2)) >= width) return -(i + 1);
  }
  const buckets = <u32>field(p, BUCKETS);
  const last = buckets - 1;
  const center = centers(p);
  const scale = scales(p);
  for (let i = 0; i < n; i++) {
    const signal = load<u32>(signals + (<usize>i << 2));
    const bucket = min<u32>(load<u32>(steps + (<usize>i << 2)), last);
    const cell = (<usize>signal * <usize>buckets + <usize>bucket) << 3;
    const x = load<f64>(values + (<usize>i << 3));
    store<f64>(z + (<usize>i << 3), zOf(x, load<f64>(center + cell), load<f64>(scale + cell)));
  }
  return 0;
}

/** One step of the per-signal CUSUM of |z| against the prior (native/src/detect/prior.rs, `accumulate`):
 *  `n` f64 sums updated in place, `n` f64 z, `n` u8 alarms written. The caller checks the settings. */
export function priorAccumulate(sums: usize, z: usize, n: i32, k: f64, clip: f64, h: f64, alarms: usize): void {
  for (let i = 0; i < n; i++) {
    store<u8>(alarms + <usize>i, 0);
    const zi = load<f64>(z + (<usize>i << 3));
    if (isNaN<f64>(zi)) continue;
    const at = sums + (<usize>i << 3);
    const s = maxNum(load<f64>(at) + minNum(abs<f64>(zi), clip) - k, 0.0);
    if (s > h) {
      store<u8>(alarms + <usize>i, 1);
      store<f64>(at, 0.0);
    } else {
      store<f64>(at, s);
    }
  }
}
