/**
 * The HF Trainer's console log, as TRL (GRPO, RLOO, PPO) and ms-swift runs
 * print it: one Python dict per logging step, `str(logs)`, interleaved with
 * tqdm progress bars and whatever else the run prints. Two generations of
 * values occur: floats (`'loss': -0.0082`) and, with newer transformers,
 * floats formatted as short strings (`'loss': '0'`, `'kl': 'nan'`).
 *
 * The dict carries no step number (ms-swift's does: `global_step/max_steps`).
 * The step is then the count of the trainer's progress bar when the log holds
 * it (stderr merged into the log): the bar is updated to the global step just
 * before the dict is printed. Without a bar, dict lines are numbered 1, 2, 3...,
 * which is the optimizer step only with `logging_steps=1`.
 */
import { stripVTControlCharacters } from "node:util";
import type { LineFormat, Sink } from "../format.js";
import { CUT_OFF, MetricReader, readStep, stepRecord } from "../parse/metrics.js";
import { parsePython } from "../parse/python.js";
import { isObject } from "../parse/values.js";

/** Keys that only the HF Trainer's log dicts hold together; one of them makes a dict a trainer log. */
const TRAINER_KEYS = [
  "loss",
  "grad_norm",
  "learning_rate",
  "epoch",
  "reward",
  "reward_std",
  "kl",
  "num_tokens",
  "train_runtime",
  "eval_loss",
  "global_step/max_steps",
];
const TRAINER_KEY_TEXT = new RegExp(`['"](?:${TRAINER_KEYS.map(escapeRegExp).join("|")})['"]\\s*:`);

/** Keys that number the step (ms-swift, forks) or are text every ms-swift line carries. */
const NOT_METRICS = new Set([
  "step",
  "global_step",
  "global_step/max_steps",
  "percentage",
  "elapsed_time",
  "remaining_time",
]);

/**
 * A tqdm bar without a description, as the HF Trainer draws its training and
 * evaluation bars: `  5%|▌         | 5/100 [00:31<09:45,  6.16s/it]`. Bars with a
 * description (vLLM's `Processed prompts: ...`, checkpoint loading) are not it.
 */
const TRAINER_BAR = /^\s*\d+%\|[^|]*\|\s*(\d+)\/(\d+) \[/;

/** Keys of evaluation and end-of-training summaries: such a dict belongs to the step before it. */
const SUMMARY_KEY = /^(?:eval_|test_|train_)/;

export const trlConsole: LineFormat = {
  name: "trl-console",
  kind: "lines",
  title: "TRL / HF Trainer / ms-swift console log (Python dict lines among progress bars)",
  late: "replace",
  claims(line) {
    const clean = stripVTControlCharacters(line);
    const start = dictStart(clean);
    if (start === -1 || !TRAINER_KEY_TEXT.test(clean)) return false;
    const parsed = parsePython(clean.slice(start, clean.lastIndexOf("}") + 1));
    return "value" in parsed && isObject(parsed.value);
  },
  open(context) {
    const metrics = new MetricReader(NOT_METRICS);
    /** The training bar: the description-less bar with the largest total seen, and its last count. */
    let barTotal = -1;
    let barCount = -1;
    /** Dict lines that started a step, for numbering when there is no bar. */
    let ordinal = 0;

    return {
      line(text: string, line: number, sink: Sink, unterminated: boolean) {
        const clean = stripVTControlCharacters(text);
        for (const segment of clean.split("\r")) {
          const bar = TRAINER_BAR.exec(segment);
          if (!bar) continue;
          const total = Number(bar[2]);
          if (total >= barTotal) {
            barTotal = total;
            barCount = Number(bar[1]);
          }
        }
        const start = dictStart(clean);
        const end = clean.lastIndexOf("}");
        if (start === -1 || !TRAINER_KEY_TEXT.test(clean)) {
          sink.other();
          return;
        }
        const parsed = end > start ? parsePython(clean.slice(start, end + 1)) : { error: "the dict is not closed" };
        if ("error" in parsed || !isObject(parsed.value)) {
          const reason = "error" in parsed ? parsed.error : "not a dict";
          sink.problem({ line, reason: `trainer log line: ${reason}${unterminated ? CUT_OFF : ""}` }, "malformed");
          return;
        }
        const logs = parsed.value;
        const trains = (key: string) => !NOT_METRICS.has(key) && key !== "epoch" && !SUMMARY_KEY.test(key);
        const startsStep = Object.keys(logs).some(trains);
        if (startsStep) ordinal++;
        const step =
          readStep(logs.step) ??
          readStep(String(logs["global_step/max_steps"] ?? "").split("/")[0]) ??
          readStep(logs.global_step) ??
          (barCount >= 0 ? barCount : ordinal);
        sink.record(stepRecord(context.run, step, metrics.read(logs, line, sink)), line);
      },
      end() {},
    };
  },
};

/** Where the line's dict starts (`{'` or `{"`), or -1. */
function dictStart(text: string): number {
  return text.search(/\{\s*['"]/);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
