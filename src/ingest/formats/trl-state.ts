/**
 * The HF Trainer's `trainer_state.json` (in every `checkpoint-N/` of a TRL or
 * ms-swift run): its `log_history` is the list of log dicts the console shows,
 * each with its `step`, which makes it the easiest structured source. Entries
 * of one step (training logs, evaluation, the end-of-training summary) merge
 * into that step.
 */
import { describeValue } from "../../telemetry/decode.js";
import type { DocumentFormat } from "../format.js";
import { MetricReader, readStep, stepRecord } from "../parse/metrics.js";
import { isObject, parseJsonLoose } from "../parse/values.js";

const decoder = new TextDecoder();

export const trlState: DocumentFormat = {
  name: "trl-state",
  kind: "document",
  title: "HF Trainer trainer_state.json (log_history) of TRL and ms-swift runs",
  late: "replace",
  // The Trainer writes json.dumps(indent=2, sort_keys=True): a first line that is only "{", and
  // log_history within the first few hundred bytes. (A JSONL file's first line is a whole object.)
  claims: async (head) => {
    const text = decoder.decode(head).trimStart();
    const firstLine = text.slice(0, text.indexOf("\n") + 1 || text.length).trim();
    return firstLine === "{" && text.includes('"log_history"');
  },
  async *read(input, context, sink) {
    const parsed = parseJsonLoose(decoder.decode(await input.bytes()));
    if ("error" in parsed) {
      sink.problem({ line: 0, reason: `trainer state: ${parsed.error}` }, "malformed");
      return;
    }
    const history = isObject(parsed.value) ? parsed.value.log_history : undefined;
    if (!Array.isArray(history)) {
      const reason = `log_history: expected a list, got ${describeValue(history)}`;
      sink.problem({ line: 0, reason, field: "log_history" }, "malformed");
      return;
    }
    const metrics = new MetricReader(new Set(["step"]));
    history.forEach((entry: unknown, i) => {
      const row = i + 1; // entries are numbered from 1 in problems, as lines are
      const step = isObject(entry) ? readStep(entry.step) : undefined;
      if (!isObject(entry) || step === undefined) {
        const reason = `log_history[${i}]: expected an object with a step`;
        sink.problem({ line: row, reason, field: "log_history" }, "malformed");
        return;
      }
      sink.record(stepRecord(context.run, step, metrics.read(entry, row, sink)), row);
    });
    yield;
  },
};
