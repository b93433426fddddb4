/**
 * A straightforward TypeScript statement of what the scanner computes, written
 * from the definitions in docs/kernels.md without the kernels' tricks (full
 * sorts instead of selection, a Map for groups). Sums are taken over values
 * divided by their largest magnitude, the textbook guard against overflow and
 * underflow; the kernels get the same effect with exact power-of-two scaling.
 * The kernel tests compare both backends with it; the benchmark uses it as the
 * plain-TypeScript baseline.
 */
export interface OracleTensor {
  rows: number;
  columns: Map<string, ArrayLike<number>>;
}

const STATS = ["count", "nonfinite", "mean", "std", "min", "max", "p10", "p50", "p90"] as const;

function finiteOf(values: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out.push(values[i]);
  return out;
}

/** The values divided by their largest magnitude, and that magnitude (1 when all are 0). */
function normalised(xs: number[]): { ys: number[]; scale: number } {
  const scale = Math.max(...xs.map(Math.abs)) || 1;
  return { ys: xs.map((x) => x / scale), scale };
}

function mean(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const { ys, scale } = normalised(xs);
  let s = 0;
  for (const y of ys) s += y;
  return (s / ys.length) * scale;
}

function std(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const { ys, scale } = normalised(xs);
  const m = mean(ys);
  let s = 0;
  for (const y of ys) s += (y - m) ** 2;
  return Math.sqrt(s / ys.length) * scale;
}

function quantile(sorted: number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function columnStats(values: ArrayLike<number>): Record<(typeof STATS)[number], number> {
  const xs = finiteOf(values);
  const sorted = [...xs].sort((a, b) => a - b);
  const empty = xs.length === 0;
  return {
    count: xs.length,
    nonfinite: values.length - xs.length,
    mean: mean(xs),
    std: std(xs),
    min: empty ? NaN : sorted[0],
    max: empty ? NaN : sorted[sorted.length - 1],
    p10: empty ? NaN : quantile(sorted, 0.1),
    p50: empty ? NaN : quantile(sorted, 0.5),
    p90: empty ? NaN : quantile(sorted, 0.9),
  };
}

export function correlation(x: ArrayLike<number> | undefined, y: ArrayLike<number> | undefined): number {
  if (!x || !y) return NaN;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) {
      xs.push(x[i]);
      ys.push(y[i]);
    }
  }
  if (xs.length < 2) return NaN;
  // Correlation does not change with scale: normalise so squares cannot overflow.
  return pearson(normalised(xs).ys, normalised(ys).ys);
}

function pearson(xs: number[], ys: number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

function nonzeroShare(values: ArrayLike<number> | undefined): number {
  if (!values) return NaN;
  const xs = finiteOf(values);
  return xs.length === 0 ? NaN : xs.filter((x) => x !== 0).length / xs.length;
}

/** Mean reward of untruncated rollouts minus that of truncated ones (rows where both are finite). */
function truncationRewardGap(reward: ArrayLike<number> | undefined, truncated: ArrayLike<number> | undefined): number {
  if (!reward || !truncated) return NaN;
  const rows = Array.from(reward, (r, i) => [r, truncated[i]]).filter(
    ([r, c]) => Number.isFinite(r) && Number.isFinite(c),
  );
  const kept = rows.filter(([, c]) => c === 0).map(([r]) => r);
  const cut = rows.filter(([, c]) => c !== 0).map(([r]) => r);
  if (kept.length === 0 || cut.length === 0) return NaN;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return mean(kept) - mean(cut);
}

function toolErrorRate(calls: ArrayLike<number> | undefined, errors: ArrayLike<number> | undefined): number {
  if (!calls || !errors) return NaN;
  let c = 0;
  let e = 0;
  for (let i = 0; i < calls.length; i++) {
    if (Number.isFinite(calls[i]) && Number.isFinite(errors[i])) {
      c += calls[i];
      e += errors[i];
    }
  }
  return c > 0 ? e / c : NaN;
}

/**
 * Share of groups, among those whose rows all have a prompt id, whose rows do
 * not all have the same one; NaN without a usable prompt_id column (one holding
 * a value that is neither missing nor a whole number below 2^53) or without
 * such a group.
 */
function promptMismatchShare(t: OracleTensor, members: Map<number, number[]>): number {
  const prompts = t.columns.get("prompt_id");
  if (!prompts) return NaN;
  for (let i = 0; i < t.rows; i++) if (!Number.isNaN(prompts[i]) && !Number.isSafeInteger(prompts[i])) return NaN;
  let known = 0;
  let mixed = 0;
  for (const rows of members.values()) {
    const ids = rows.map((i) => prompts[i]);
    if (!ids.every(Number.isFinite)) continue;
    known++;
    if (new Set(ids).size > 1) mixed++;
  }
  return known > 0 ? mixed / known : NaN;
}

function groupFeatures(t: OracleTensor): Record<string, number> {
  const ids = t.columns.get("group");
  const nan = {
    "group.count": NaN,
    "group.size_mean": NaN,
    "group.size_min": NaN,
    "group.size_max": NaN,
    "group.reward_mean_std": NaN,
    "group.reward_std_mean": NaN,
    "group.zero_var_share": NaN,
    "group.adv_center_abs_mean": NaN,
    "group.adv_center_abs_max": NaN,
    "group.adv_scale_mean": NaN,
    "group.adv_scale_max": NaN,
    "group.prompt_mismatch_share": NaN,
  };
  if (!ids) return nan;
  if (t.rows === 0) return { ...nan, "group.count": 0 };
  const members = new Map<number, number[]>();
  for (let i = 0; i < t.rows; i++) {
    const list = members.get(ids[i]) ?? [];
    list.push(i);
    members.set(ids[i], list);
  }
  const reward = t.columns.get("reward");
  const adv = t.columns.get("advantage");
  const sizes: number[] = [];
  const rewardMeans: number[] = [];
  const rewardStds: number[] = [];
  const centers: number[] = [];
  const scales: number[] = [];
  let multi = 0;
  let zeroVar = 0;
  for (const rows of members.values()) {
    sizes.push(rows.length);
    if (rows.length >= 2) multi++;
    if (reward) {
      const r = finiteOf(rows.map((i) => reward[i]));
      if (r.length > 0) {
        rewardMeans.push(mean(r));
        rewardStds.push(std(r));
      }
      if (rows.length >= 2 && r.length === rows.length && r.every((x) => x === r[0])) zeroVar++;
    }
    if (adv) {
      const a = finiteOf(rows.map((i) => adv[i]));
      if (a.length > 0) centers.push(Math.abs(mean(a)));
      if (a.length >= 2) scales.push(std(a));
    }
  }
  const max = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);
  return {
    "group.count": members.size,
    "group.size_mean": t.rows / members.size,
    "group.size_min": Math.min(...sizes),
    "group.size_max": Math.max(...sizes),
    "group.reward_mean_std": reward ? std(rewardMeans) : NaN,
    "group.reward_std_mean": reward ? mean(rewardStds) : NaN,
    "group.zero_var_share": reward && multi > 0 ? zeroVar / multi : NaN,
    "group.adv_center_abs_mean": adv ? mean(centers) : NaN,
    "group.adv_center_abs_max": adv ? max(centers) : NaN,
    "group.adv_scale_mean": adv ? mean(scales) : NaN,
    "group.adv_scale_max": adv ? max(scales) : NaN,
    "group.prompt_mismatch_share": promptMismatchShare(t, members),
  };
}

/** Every feature of one step, by name, for the value columns the step has. */
export function oracleFeatures(t: OracleTensor): Record<string, number> {
  const col = (name: string) => t.columns.get(name);
  const out: Record<string, number> = {
    rows: t.rows,
    ...groupFeatures(t),
    "corr.reward_length": correlation(col("reward"), col("length")),
    "corr.reward_correct": correlation(col("reward"), col("correct")),
    "corr.advantage_reward": correlation(col("advantage"), col("reward")),
    "rate.truncation": nonzeroShare(col("truncated")),
    "rate.tool_error": toolErrorRate(col("tool_calls"), col("tool_errors")),
    "rate.format": nonzeroShare(col("format_ok")),
    "trunc.reward_gap": truncationRewardGap(col("reward"), col("truncated")),
  };
  for (const [name, values] of t.columns) {
    if (name === "group" || name === "prompt_id") continue;
    const stats = columnStats(values);
    for (const stat of STATS) out[`${name}.${stat}`] = stats[stat];
  }
  return out;
}
