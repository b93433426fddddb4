/**
 * What W&B exports have in common (history rows as JSONL, CSV exports): the
 * step is one of several columns, the trainer's own when the run defined one,
 * and W&B's bookkeeping columns start with an underscore.
 */

/**
 * Columns that may hold the step, best first: the trainer's step (the HF
 * Trainer's and OpenRLHF's wandb loggers define `train/global_step` as the
 * step metric), then W&B's own `_step`, then a panel export's `Step`.
 */
export const STEP_COLUMNS = ["train/global_step", "trainer/global_step", "global_step", "_step", "Step", "step"];

/** W&B's bookkeeping: `_timestamp` is the step's time, the others are not metrics. */
export const TIME_COLUMN = "_timestamp";
export const BOOKKEEPING = new Set(["_step", "_runtime", "_timestamp", "_wandb"]);

/** The best step column among `names`, or undefined. */
export function stepColumn(names: Iterable<string>): string | undefined {
  const present = new Set(names);
  return STEP_COLUMNS.find((name) => present.has(name));
}
