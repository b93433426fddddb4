/**
 * W&B run history as JSON lines: what `run.scan_history()` / `run.history()`
 * return, written one row per line (and what older wandb wrote to
 * `wandb-history.jsonl`): W&B's `_step`, `_runtime` and `_timestamp`, and the
 * metrics under the names the trainer logged (OpenRLHF and the HF Trainer:
 * `train/...`; verl: its own names). The step column is the first row's best
 * (see wandb-steps.ts) and stays the same for the whole file. Media and table
 * references (objects with a `_type`) are not metrics: a row of nothing else
 * is other output.
 */

import type { LineFormat } from "../format.js";
import { claimsObject, objectLine } from "../parse/json-line.js";
import { MetricReader, readStep, stepRecord } from "../parse/metrics.js";
import { isObject, readNumber } from "../parse/values.js";
import { BOOKKEEPING, STEP_COLUMNS, stepColumn, TIME_COLUMN } from "../parse/wandb-steps.js";

const NOT_METRICS = new Set([...BOOKKEEPING, ...STEP_COLUMNS]);

const isMedia = (value: unknown) => isObject(value) && "_type" in value;

export const wandbJsonl: LineFormat = {
  name: "wandb-jsonl",
  kind: "lines",
  title: "W&B run history rows as JSONL (_step, _timestamp, metric keys; OpenRLHF's train/* keys)",
  late: "replace",
  claims: (line) =>
    claimsObject(line, (v) => readStep(v._step) !== undefined || readStep(v["train/global_step"]) !== undefined),
  open(context) {
    const metrics = new MetricReader(NOT_METRICS);
    let column: string | undefined;
    return {
      line(text, line, sink, unterminated) {
        const row = objectLine(text, line, sink, unterminated);
        if (!row) return;
        for (const key of Object.keys(row)) if (isMedia(row[key])) delete row[key];
        if (Object.keys(row).every((key) => BOOKKEEPING.has(key))) {
          sink.other(); // a row that only logged media
          return;
        }
        column ??= stepColumn(Object.keys(row).filter((key) => readStep(row[key]) !== undefined));
        const step = column === undefined ? undefined : readStep(row[column]);
        if (step === undefined) {
          const reason = `no step: ${column ? `${column} holds none` : `none of ${STEP_COLUMNS.join(", ")} holds one`}`;
          sink.problem({ line, reason, field: column ?? "_step" }, "malformed");
          return;
        }
        const time = readNumber(row[TIME_COLUMN]);
        sink.record(stepRecord(context.run, step, metrics.read(row, line, sink), time ?? undefined), line);
      },
      end() {},
    };
  },
};
