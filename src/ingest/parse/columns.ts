/**
 * A batch of rows of a columnar file (an Arrow record batch, a Parquet row
 * group), as the columnar adapters read it: column names and one accessor.
 */
import { readNumber } from "./values.js";

export interface ColumnBatch {
  names: readonly string[];
  rows: number;
  /** The cell at (column index, row): a number, bigint, boolean, string, null, or a nested value. */
  value(column: number, row: number): unknown;
}

/**
 * Whether a column holds numbers (numbers, bigints, booleans, nulls), judged
 * by its first non-null cell; a column of text (prompts, responses, run names)
 * or nested values is not numeric.
 */
export function isNumericColumn(batch: ColumnBatch, column: number): boolean {
  for (let row = 0; row < batch.rows; row++) {
    const cell = batch.value(column, row);
    if (cell === null || cell === undefined) continue;
    return typeof readNumber(cell) === "number" && typeof cell !== "string";
  }
  return true;
}
