import { CANONICAL_COLUMNS } from "../backend/generated/layout.js";
import { type Kernels, presenceSlots, type ScanBatch } from "../backend/kernel.js";
import type { TensorLike } from "../telemetry/records.js";
import { isExtraColumn } from "./features.js";

export interface PackedBatch {
  batch: ScanBatch;
  /** Value columns of the batch in kernel order: canonical, then extras (sorted by name). */
  columns: string[];
  /** Per step: why its `group` column was not usable, when it was present but was not. */
  groupIssues: (string | undefined)[];
  /** Per step: why its `prompt_id` column was not usable, when it was present but was not. */
  promptIssues: (string | undefined)[];
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Writes step tensors straight into a backend-allocated batch (for wasm, into
 * linear memory), so the scan reads them in place. Columns a step lacks are
 * flagged absent; extra columns of any step get a block in every step.
 */
export function packTensors(kernels: Kernels, tensors: readonly TensorLike[]): PackedBatch {
  const extras = new Set<string>();
  let rows = 0;
  for (const t of tensors) {
    rows += t.rows;
    for (const name of t.columns.keys()) if (isExtraColumn(name)) extras.add(name);
  }
  const columns = [...CANONICAL_COLUMNS, ...[...extras].sort()];
  const width = presenceSlots(columns.length);
  const batch = kernels.allocBatch({ columns: columns.length, steps: tensors.length, rows });
  // No allocation happens below, so these views stay valid while we fill them.
  const { values, groups, prompts, offsets, present } = batch;
  const groupIssues: (string | undefined)[] = [];
  const promptIssues: (string | undefined)[] = [];

  let offset = 0;
  tensors.forEach((t, s) => {
    offsets[s] = offset;
    columns.forEach((name, c) => {
      const column = t.columns.get(name);
      if (!column) return;
      present[s * width + c] = 1;
      writeValues(values, c * rows + offset, column, t.rows);
    });
    const ids = t.columns.get("group");
    const issue = ids ? writeGroupIds(groups, offset, ids, t.rows) : undefined;
    if (ids && !issue) present[s * width + columns.length] = 1;
    groupIssues.push(issue);
    const promptIds = t.columns.get("prompt_id");
    const promptIssue = promptIds ? writePromptIds(prompts, offset, promptIds, t.rows) : undefined;
    if (promptIds && !promptIssue) present[s * width + columns.length + 1] = 1;
    promptIssues.push(promptIssue);
    offset += t.rows;
  });
  offsets[tensors.length] = offset;
  return { batch, columns, groupIssues, promptIssues };
}

function writeValues(into: Float64Array, at: number, column: ArrayLike<number>, rows: number): void {
  if (column instanceof Float64Array) {
    into.set(column.subarray(0, rows), at);
    return;
  }
  for (let i = 0; i < rows; i++) into[at + i] = column[i];
}

/**
 * Copies prompt ids; returns why they are unusable, if so. An id is any whole
 * number a double holds exactly (hashed ids too, which 32 bits would refuse);
 * a missing one (NaN, from a `null` cell) stays NaN: unknown for that row,
 * so its group is left out of `group.prompt_mismatch_share`.
 */
function writePromptIds(into: Float64Array, at: number, ids: ArrayLike<number>, rows: number): string | undefined {
  for (let i = 0; i < rows; i++) {
    const id = ids[i];
    if (Number.isNaN(id)) {
      into[at + i] = Number.NaN;
    } else if (Number.isSafeInteger(id)) {
      into[at + i] = id;
    } else {
      return `prompt_id ${String(id)} at row ${i} is not a whole number below 2^53; prompt features skipped`;
    }
  }
  return undefined;
}

/** Copies group ids; returns why they are unusable (not 32-bit integers), if so. */
function writeGroupIds(into: Int32Array, at: number, ids: ArrayLike<number>, rows: number): string | undefined {
  for (let i = 0; i < rows; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < INT32_MIN || id > INT32_MAX) {
      return `group id ${String(id)} at row ${i} is not a 32-bit integer; group features skipped`;
    }
    into[at + i] = id;
  }
  return undefined;
}
