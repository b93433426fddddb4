/**
 * A StepInput's trajectory tensor, checked (issue 13, item 11). Both forms a
 * trainer may send, a plain object of name -> column and `{ rows, columns: Map }`,
 * are held to the same rules: every column an array or a numeric typed array
 * of exactly `rows` values (a short column would otherwise be padded with zeros
 * or read as non-finite cells), `rows` a whole number from 0 to
 * MAX_TENSOR_ROWS, and the tensor within MAX_TENSOR_CELLS (the bounds both
 * backends scan alike, src/scan/limits.ts). Plain-array cells follow the JSONL
 * reader's rules (check-values.ts).
 */
import { isExtraColumn } from "../scan/features.js";
import { MAX_TENSOR_CELLS, MAX_TENSOR_ROWS, packedCells } from "../scan/limits.js";
import { describeValue } from "../telemetry/decode.js";
import type { TensorLike } from "../telemetry/records.js";
import { checkColumn } from "../verdict/check-values.js";

/** Typed arrays whose elements are numbers (not BigInt64Array, not a DataView). */
const isNumberView = (x: unknown): x is ArrayLike<number> =>
  ArrayBuffer.isView(x) && !(x instanceof DataView) && !(x instanceof BigInt64Array || x instanceof BigUint64Array);

/** The tensor as the scanner reads it, or what is wrong with it (naming the place). */
export function checkTensor(t: unknown): { tensor: TensorLike } | { error: string } {
  if (typeof t !== "object" || t === null)
    return { error: "trajectories: expected an object of column name -> array of numbers" };
  const form = t as { rows?: unknown; columns?: unknown };
  const mapForm = form.columns instanceof Map;
  const entries: [unknown, unknown][] = mapForm
    ? [...(form.columns as Map<unknown, unknown>)]
    : Object.entries(t as Record<string, unknown>);
  const where = (name: string) => (mapForm ? `trajectories.columns.${name}` : `trajectories.${name}`);
  let rows: number | undefined;
  if (mapForm) {
    const r = form.rows;
    if (typeof r !== "number" || !Number.isSafeInteger(r) || r < 0 || r > MAX_TENSOR_ROWS)
      return {
        error: `trajectories.rows: expected a whole number from 0 to ${MAX_TENSOR_ROWS}, got ${describeValue(r)}`,
      };
    rows = r;
  }
  const columns = new Map<string, ArrayLike<number>>();
  let extras = 0;
  for (const [name, column] of entries) {
    if (typeof name !== "string") return { error: `trajectories.columns: a column name is ${describeValue(name)}` };
    // A string has a length too; only arrays and numeric typed arrays are columns.
    if (!Array.isArray(column) && !isNumberView(column))
      return { error: `${where(name)}: expected an array of numbers` };
    if (rows === undefined) {
      if (column.length > MAX_TENSOR_ROWS)
        return {
          error: `${where(name)}: ${column.length} values, more than the ${MAX_TENSOR_ROWS} rows a step may have`,
        };
      rows = column.length;
    } else if (column.length !== rows) {
      return {
        error: mapForm
          ? `${where(name)}: ${column.length} values, rows is ${rows}`
          : `${where(name)}: ${column.length} values, other columns have ${rows}`,
      };
    }
    if (Array.isArray(column)) {
      // null cells are missing (NaN), as in JSONL; a cell that is no number is an error.
      const checked = checkColumn(name, column);
      if ("error" in checked) return { error: checked.error as string };
      columns.set(name, checked);
    } else {
      columns.set(name, column);
    }
    if (isExtraColumn(name)) extras++;
  }
  const n = rows ?? 0;
  if (packedCells(n, extras) > MAX_TENSOR_CELLS) {
    return {
      error: `trajectories: ${n} rows x ${extras} extra columns is beyond the ${MAX_TENSOR_CELLS} cells a step may pack (rows x (canonical + extra columns))`,
    };
  }
  return { tensor: { rows: n, columns } };
}
