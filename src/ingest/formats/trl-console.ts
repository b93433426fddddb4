/**
 * The HF Trainer's console log, as TRL (GRPO, RLOO, PPO) and ms-swift runs
 * print it: one Python dict per logging step, `str(logs)`, interleaved with
 * tqdm progress bars and whatever else the run prints. Two generations of
 * values occur: floats (`'loss': -0.0082`) and, with newer transformers,
 * floats formatted as short strings (`'loss': '0'`, `'kl': 'nan'`).
 *
 * The dict carries no step number (ms-swift's does: `global_step/max_steps`).
 * The step then comes from the trainer's progress bar when the log holds it
 * (stderr merged into the log), and from the dict's place among the dicts:
 * see `parse/bar-steps.ts`, which also covers stdout block-buffered into a
 * file (the dicts arrive in bursts after the bar, and lines are cut by the
 * bars drawn between the buffer's flushes: `parse/console-line.ts` joins them).
 * Without a bar, dict lines are numbered 1, 2, 3..., which is the optimizer
 * step only with `logging_steps=1`. Every training dict is a step of its own;
 * an evaluation or end-of-training summary dict joins the step before it.
 */
import { stripVTControlCharacters } from "node:util";
import type { LineFormat, Sink } from "../format.js";
import { BarSteps } from "../parse/bar-steps.js";
import { splitConsoleLine } from "../parse/console-line.js";
import { CUT_OFF, MetricReader, readStep, stepRecord, WholeSteps } from "../parse/metrics.js";
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

/** Keys of evaluation and end-of-training summaries: such a dict belongs to the step before it. */
const SUMMARY_KEY = /^(?:eval_|test_|train_)/;

export const trlConsole: LineFormat = {
  name: "trl-console",
  kind: "lines",
  title: "TRL / HF Trainer / ms-swift console log (Python dict lines among progress bars)",
  late: "replace",
  claims(line) {
    const clean = splitConsoleLine(stripVTControlCharacters(line)).text;
    const start = dictStart(clean);
    if (start === -1 || !TRAINER_KEY_TEXT.test(clean)) return false;
    const parsed = parsePython(clean.slice(start, clean.lastIndexOf("}") + 1));
    return "value" in parsed && isObject(parsed.value);
  },
  open(context) {
    const metrics = new MetricReader(NOT_METRICS);
    const repeats = new WholeSteps();
    /** The sink of the line being read: the numbering gives dicts out later than they are read. */
    let out: Sink | undefined;
    const numbering = new BarSteps<{ metrics: Record<string, number>; line: number }>({
      emit: (dict, step) => out!.record(stepRecord(context.run, step, dict.metrics), dict.line),
      inferred: (steps, how) => out!.inferred(steps, how),
    });

    /**
     * A dict whose line ended before it closed: stdout flushed part of it, then
     * stderr wrote a line end (a bar closed, a warning). Its rest comes on a
     * later line, before any other dict.
     */
    let fragment: { text: string; line: number; unterminated: boolean; age: number } | undefined;
    const dropFragment = (sink: Sink) => {
      if (!fragment) return;
      const reason = `trainer log line: the dict is not closed${fragment.unterminated ? CUT_OFF : ""}`;
      sink.problem({ line: fragment.line, reason }, "malformed");
      fragment = undefined;
    };

    const take = (logs: Record<string, unknown>, line: number, sink: Sink, cut: boolean) => {
      const trains = (key: string) => !NOT_METRICS.has(key) && key !== "epoch" && !SUMMARY_KEY.test(key);
      const training = Object.keys(logs).some(trains);
      const values = metrics.read(logs, line, sink);
      const step =
        readStep(logs.step) ??
        readStep(String(logs["global_step/max_steps"] ?? "").split("/")[0]) ??
        readStep(logs.global_step);
      if (step === undefined) {
        numbering.dict({ metrics: values, line }, training, cut);
        return;
      }
      // A step number of its own (ms-swift): the same step twice in a row is one record replacing another.
      if (training) repeats.note(step, line, sink);
      sink.record(stepRecord(context.run, step, values), line);
    };

    return {
      line(text: string, line: number, sink: Sink, unterminated: boolean) {
        out = sink;
        const { text: clean, bars } = splitConsoleLine(stripVTControlCharacters(text));
        let cut = false;
        for (const bar of bars) {
          numbering.bar(bar.count, bar.total);
          cut ||= bar.inside;
        }
        if (fragment) {
          const joined = readDict(fragment.text + clean);
          if (joined && "value" in joined && isObject(joined.value)) {
            const from = fragment.line;
            fragment = undefined;
            take(joined.value, from, sink, true);
            return;
          }
          // Another dict began, or too many lines passed: the rest is not coming.
          if (++fragment.age > MAX_FRAGMENT_LINES || dictStart(clean) !== -1) dropFragment(sink);
        }
        const start = dictStart(clean);
        if (start === -1 || !TRAINER_KEY_TEXT.test(clean)) {
          sink.other();
          return;
        }
        const end = clean.lastIndexOf("}");
        if (end < start && clean.length - start <= MAX_FRAGMENT_CHARS) {
          fragment = { text: clean.slice(start), line, unterminated, age: 0 };
          return;
        }
        const parsed = readDict(clean) ?? { error: "the dict is not closed" };
        if ("error" in parsed || !isObject(parsed.value)) {
          const reason = "error" in parsed ? parsed.error : "not a dict";
          sink.problem({ line, reason: `trainer log line: ${reason}${unterminated ? CUT_OFF : ""}` }, "malformed");
          return;
        }
        take(parsed.value, line, sink, cut);
      },
      idle(sink: Sink) {
        out = sink;
        numbering.idle();
      },
      end(sink: Sink) {
        out = sink;
        dropFragment(sink);
        numbering.end();
      },
    };
  },
};

/** Lines a cut dict waits for its rest; and the longest part of a dict held (a trainer dict is a few KB). */
const MAX_FRAGMENT_LINES = 16;
const MAX_FRAGMENT_CHARS = 1 << 20;

/** The dict in the text, from its first `{'` to its last `}`; undefined when there is none closed. */
function readDict(text: string): ReturnType<typeof parsePython> | undefined {
  const start = dictStart(text);
  const end = text.lastIndexOf("}");
  return start === -1 || end < start ? undefined : parsePython(text.slice(start, end + 1));
}

/** Where the line's dict starts (`{'` or `{"`), or -1. */
function dictStart(text: string): number {
  return text.search(/\{\s*['"]/);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
