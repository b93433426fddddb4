/**
 * JSON-object lines, shared by the formats that write one JSON object per line
 * (verl's file logger and rollout dumps, ms-swift's logging.jsonl, W&B history).
 * Python's `json.dumps` writes bare `NaN` and `Infinity`, so parsing is loose.
 */
import { describeValue } from "../../telemetry/decode.js";
import type { Sink } from "../format.js";
import { CUT_OFF } from "./metrics.js";
import { isObject, parseJsonLoose } from "./values.js";

/** The line's JSON object, or undefined after reporting the line as malformed. */
export function objectLine(
  text: string,
  line: number,
  sink: Sink,
  unterminated: boolean,
): Record<string, unknown> | undefined {
  const parsed = parseJsonLoose(text);
  if ("error" in parsed) {
    sink.problem({ line, reason: parsed.error + (unterminated ? CUT_OFF : "") }, "malformed");
    return undefined;
  }
  if (!isObject(parsed.value)) {
    sink.problem({ line, reason: `expected a JSON object, got ${describeValue(parsed.value)}` }, "malformed");
    return undefined;
  }
  return parsed.value;
}

/** Detection: the line is a JSON object that `test` accepts. */
export function claimsObject(line: string, test: (value: Record<string, unknown>) => boolean): boolean {
  if (line.trimStart()[0] !== "{") return false;
  const parsed = parseJsonLoose(line);
  return "value" in parsed && isObject(parsed.value) && test(parsed.value);
}
