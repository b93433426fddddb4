/**
 * The values of a StepInput, held to the rules the JSONL reader holds a line
 * to (docs/spec/telemetry.md, "Values"), so that the API and a log say the
 * same about the same data:
 * - a metric is a number (NaN and +/-Infinity included: they are data); `null`
 *   is a metric not sent, and is absent; anything else (`undefined`, `"abc"`,
 *   `"0.5"`, `[0.5]`, `{}`, `true`) is an input error, and the metric is absent;
 * - a trajectory cell is a number; `null` is a missing cell (NaN), as in JSONL;
 *   `true`/`false` are 1/0 (flag columns); anything else is an input error.
 */
import { describeValue } from "../telemetry/decode.js";

/** Metrics that are numbers, and an error per one that is not. */
export function checkMetrics(metrics: Readonly<Record<string, unknown>>): {
  metrics: Record<string, number>;
  errors: string[];
} {
  const errors: string[] = [];
  let clean: Record<string, number> | undefined;
  const names = Object.keys(metrics);
  names.forEach((name, i) => {
    const v = metrics[name];
    if (typeof v === "number") {
      if (clean) define(clean, name, v);
      return;
    }
    if (!clean) {
      // The first value that is not a number: copy what came before it, then go on without copying the input.
      clean = {};
      for (const before of names.slice(0, i)) define(clean, before, metrics[before] as number);
    }
    if (v !== null) errors.push(`metrics.${name}: expected a number, got ${describeValue(v)}; left out`);
  });
  return { metrics: clean ?? (metrics as Record<string, number>), errors };
}

/**
 * A plain-array trajectory column as numbers: `null` -> NaN (missing), booleans
 * -> 1/0. Returns the array itself when it holds only numbers, a copy when a
 * cell was converted, or the error for a cell that cannot be a number.
 */
export function checkColumn(name: string, column: ArrayLike<unknown>): ArrayLike<number> | { error: string } {
  let copy: Float64Array | undefined;
  for (let i = 0; i < column.length; i++) {
    const v = column[i];
    if (typeof v === "number") {
      if (copy) copy[i] = v;
      continue;
    }
    let x: number;
    if (v === null) x = NaN;
    else if (typeof v === "boolean") x = v ? 1 : 0;
    else return { error: `trajectories.${name}[${i}]: expected a number, got ${describeValue(v)}` };
    if (!copy) {
      copy = new Float64Array(column.length);
      for (let j = 0; j < i; j++) copy[j] = column[j] as number;
    }
    copy[i] = x;
  }
  return copy ?? (column as ArrayLike<number>);
}

/** defineProperty, not assignment: metric names come from the caller, and `__proto__` must stay a plain key. */
function define(target: Record<string, number>, key: string, value: number): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
