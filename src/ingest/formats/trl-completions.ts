/**
 * TRL's completions dumps (`log_completions=True`): one Parquet file per
 * logging step, `<output_dir>/completions/[<mode>/]completions_{step:05d}.parquet`,
 * written by pandas from a dict: `step`, `prompt`, `completion`, one column per
 * reward function (under the function's name), the columns logged with
 * `log_extra`, then `advantage` (newer releases add `mode` first).
 *
 * Mapping, per step:
 * - `reward`: the sum of the reward-function columns, skipping missing (None)
 *   cells; NaN when every one is missing. TRL weights the functions
 *   (`reward_weights`, default 1 each); the dump does not say the weights.
 *   The reward functions are the numeric columns between `completion` and
 *   `advantage`, which also holds any `log_extra` columns: name the functions
 *   with `rewardColumns` (`--reward-columns`) when the run logs extras.
 * - each reward function's column, and every other numeric column, under its own name;
 * - `advantage` as is;
 * - `group`: TRL samples each prompt `num_generations` times in consecutive
 *   rows, so rows are grouped by `numGenerations` when given, else by the
 *   largest size that divides every run of consecutive identical prompts.
 */
import type { TrajectoriesRecord } from "../../telemetry/records.js";
import type { DocumentFormat, Sink, SourceContext } from "../format.js";
import { type ColumnBatch, isNumericColumn } from "../parse/columns.js";
import { readStep } from "../parse/metrics.js";
import { isParquet, parquetBatches, parquetSchema } from "../parse/parquet-file.js";
import { readNumber, setKey } from "../parse/values.js";

/** Columns of the dump that are not reward functions, whatever their type. */
const FIXED = new Set(["step", "prompt", "completion", "advantage", "mode", "image", "images"]);

export const trlCompletions: DocumentFormat = {
  name: "trl-completions",
  kind: "document",
  title: "TRL completions dumps (completions/completions_NNNNN.parquet: prompt, completion, rewards, advantage)",
  late: "replace",
  filePerStep: true,
  async claims(head, input) {
    if (!isParquet(head)) return false;
    try {
      const { names } = await parquetSchema(await input.bytes());
      return names.includes("prompt") && names.includes("completion");
    } catch {
      return false; // not a readable Parquet file: not claimed, and the reader reports it
    }
  },
  async *read(input, context, sink) {
    for await (const batch of parquetBatches(await input.bytes())) {
      const steps = batch.names.indexOf("step");
      let start = 0;
      while (start < batch.rows) {
        const step = steps === -1 ? undefined : readStep(batch.value(steps, start));
        if (step === undefined) {
          sink.problem({ line: start + 1, reason: "step: missing or not a step number", field: "step" }, "malformed");
          start++;
          continue;
        }
        let end = start + 1;
        while (end < batch.rows && readStep(batch.value(steps, end)) === step) end++;
        sink.record(stepBlock(batch, context, sink, step, start, end), start + 1);
        start = end;
      }
      yield;
    }
  },
};

/** The reward-function columns: the ones named, or the numeric columns between `completion` and `advantage`. */
function rewardColumns(batch: ColumnBatch, context: SourceContext): number[] {
  const named = context.options.rewardColumns;
  if (named) return named.map((name) => batch.names.indexOf(name)).filter((i) => i !== -1);
  const from = batch.names.indexOf("completion");
  const to = batch.names.indexOf("advantage");
  const between = (i: number) => i > from && (to === -1 || i < to);
  return [...batch.names.keys()].filter((i) => between(i) && !FIXED.has(batch.names[i]) && isNumericColumn(batch, i));
}

function stepBlock(
  batch: ColumnBatch,
  context: SourceContext,
  sink: Sink,
  step: number,
  start: number,
  end: number,
): TrajectoriesRecord {
  const rows = end - start;
  const record: TrajectoriesRecord = { kind: "trajectories", run: context.run, step, rows, columns: {} };
  const column = (index: number): number[] => {
    const cells = new Array<number>(rows);
    for (let row = start; row < end; row++) cells[row - start] = readNumber(batch.value(index, row)) ?? NaN;
    return cells;
  };
  const define = (name: string, cells: number[]) => setKey(record.columns, name, cells);

  const rewards = rewardColumns(batch, context);
  const reward = new Array<number>(rows).fill(NaN);
  for (const index of rewards) {
    const cells = column(index);
    cells.forEach((x, i) => {
      if (!Number.isNaN(x)) reward[i] = Number.isNaN(reward[i]) ? x : reward[i] + x;
    });
    define(batch.names[index], cells);
  }
  if (rewards.length > 0) define("reward", reward);
  else sink.problem({ line: start + 1, reason: "reward: no reward-function columns found", field: "reward" }, "value");

  batch.names.forEach((name, index) => {
    if (name === "step" || Object.hasOwn(record.columns, name) || !isNumericColumn(batch, index)) return;
    define(name, column(index));
  });

  const group = groups(batch, context, start, end);
  if (typeof group === "string") sink.problem({ line: start + 1, reason: group, field: "group" }, "value");
  else define("group", group);
  return record;
}

/** The group of each row, or why there is none. */
function groups(batch: ColumnBatch, context: SourceContext, start: number, end: number): number[] | string {
  const rows = end - start;
  let size = context.options.numGenerations;
  if (size === undefined) {
    const prompts = batch.names.indexOf("prompt");
    if (prompts === -1) return "group: no prompt column to group by; pass the group size (--num-generations)";
    const text = (row: number) => JSON.stringify(batch.value(prompts, row));
    // The group size is the largest that divides every run of consecutive identical prompts
    // (two groups of the same prompt side by side make one run of twice the size).
    size = 0;
    for (let row = start; row < end; ) {
      let next = row + 1;
      while (next < end && text(next) === text(row)) next++;
      size = gcd(size, next - row);
      row = next;
    }
    if (size <= 1) {
      return "group: prompts do not repeat in consecutive rows, so the groups are unknown; pass --num-generations";
    }
  }
  if (rows % size !== 0) {
    return `group: ${rows} rows is not a multiple of the group size ${size}; groups left out`;
  }
  return Array.from({ length: rows }, (_, i) => Math.floor(i / size));
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
