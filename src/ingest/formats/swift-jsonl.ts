/**
 * ms-swift's `logging.jsonl` (`<output_dir>/vX-<timestamp>/logging.jsonl`): the
 * HF Trainer's log dicts as JSON, one per logging step, with swift's envelope:
 * `global_step/max_steps` (`"5/94"`; older releases `global_step`), and the
 * text fields `percentage`, `elapsed_time`, `remaining_time`. GRPO metric names
 * are TRL's. The run's final summary line (it holds `log_history`) repeats the
 * log and is not read again.
 */

import type { LineFormat } from "../format.js";
import { claimsObject, objectLine } from "../parse/json-line.js";
import { MetricReader, readStep, stepRecord } from "../parse/metrics.js";

const ENVELOPE = new Set(["global_step/max_steps", "global_step", "percentage", "elapsed_time", "remaining_time"]);

/** `"5/94"` -> 5; an older line's `global_step` number. */
function swiftStep(value: Record<string, unknown>): number | undefined {
  const progress = value["global_step/max_steps"];
  return typeof progress === "string" ? readStep(progress.split("/")[0]) : readStep(value.global_step);
}

export const swiftJsonl: LineFormat = {
  name: "swift-jsonl",
  kind: "lines",
  title: "ms-swift logging.jsonl (HF Trainer log dicts with global_step/max_steps)",
  late: "replace",
  claims: (line) =>
    claimsObject(
      line,
      (v) => typeof v["global_step/max_steps"] === "string" || (readStep(v.global_step) !== undefined && "loss" in v),
    ),
  open(context) {
    const metrics = new MetricReader(ENVELOPE);
    return {
      line(text, line, sink, unterminated) {
        const object = objectLine(text, line, sink, unterminated);
        if (!object) return;
        if ("log_history" in object) {
          sink.other();
          return;
        }
        const step = swiftStep(object);
        if (step === undefined) {
          const field = "global_step/max_steps";
          sink.problem({ line, reason: `${field}: missing, so the step is unknown`, field }, "malformed");
          return;
        }
        sink.record(stepRecord(context.run, step, metrics.read(object, line, sink)), line);
      },
      end() {},
    };
  },
};
