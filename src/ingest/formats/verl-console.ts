/**
 * verl's console logger (`trainer.logger` holding `console`): one line per
 * training step, `step:N - key:value - key:value ...`, usually behind a Ray
 * prefix (`(TaskRunner pid=222265) `, older `(main_task pid=...)`) and ANSI
 * colour codes, among everything else the run prints (vLLM, Ray, wandb's run
 * history and summary blocks). Releases up to 0.4 print values with 3
 * decimals, later ones with `pprint.pformat` at full precision, which under
 * numpy 2 writes `np.float64(0.5)`. verl logs all of a step's metrics in one
 * call, so each line is one whole step: a line with the step number of the
 * line before (a resumed run logging its step again) replaces it, reported.
 */
import { stripVTControlCharacters } from "node:util";
import type { LineFormat } from "../format.js";
import { CUT_OFF, stepRecord, WholeSteps } from "../parse/metrics.js";
import { canonicalMetrics } from "../parse/names.js";
import { pythonToJson5 } from "../parse/python.js";
import { readNumberText, setKey } from "../parse/values.js";

/** `step:N - key:` after the start, a space or a Ray prefix's `)`. */
const STEP_LINE = /(?:^|[\s)\]])step:(\d+) - [^\s:][^:]*:/;
/** Ray's note on a line printed by several workers: ` [repeated 3x across cluster]` at the end. */
const RAY_REPEATED_END = "x across cluster]";
const RAY_REPEATED_START = "[repeated ";

/**
 * The line without Ray's note. By hand, not by a regex: `\s*` before the note
 * backtracked quadratically on a line of spaces.
 */
function withoutRayNote(line: string): string {
  const body = line.trimEnd();
  if (!body.endsWith(RAY_REPEATED_END)) return line;
  const start = body.lastIndexOf(RAY_REPEATED_START);
  if (start === -1) return line;
  const count = body.slice(start + RAY_REPEATED_START.length, body.length - RAY_REPEATED_END.length);
  if (count.length === 0 || !/^\d+$/.test(count)) return line;
  return body.slice(0, start).trimEnd();
}

export const verlConsole: LineFormat = {
  name: "verl-console",
  kind: "lines",
  title: "verl console log (step:N - key:value lines, Ray prefixes, ANSI colours)",
  late: "replace",
  claims: (line) => STEP_LINE.test(stripVTControlCharacters(line)),
  open(context) {
    const whole = new WholeSteps();
    return {
      line(text, line, sink, unterminated) {
        const clean = withoutRayNote(stripVTControlCharacters(text));
        const match = STEP_LINE.exec(clean);
        if (!match) {
          sink.other();
          return;
        }
        // A cut line still reads as a shorter step, with a cut last value: skip it rather than guess.
        if (unterminated) {
          sink.problem({ line, reason: `verl step line: incomplete${CUT_OFF}; skipped` }, "malformed");
          return;
        }
        const body = clean.slice(match.index + match[0].indexOf("step:"));
        const [head, ...pairs] = body.split(" - ");
        const raw: Record<string, number> = {};
        for (const pair of pairs) {
          const colon = pair.lastIndexOf(":");
          const key = pair.slice(0, colon);
          const value = colon > 0 ? readValue(pair.slice(colon + 1)) : undefined;
          if (typeof value !== "number") {
            const reason = `verl step line: ${JSON.stringify(pair)} is not key:number; left out`;
            sink.problem({ line, reason, field: key || pair }, "value");
            continue;
          }
          setKey(raw, key, value);
        }
        const step = Number(head.slice("step:".length));
        whole.note(step, line, sink);
        sink.record(stepRecord(context.run, step, canonicalMetrics(raw)), line);
      },
      end() {},
    };
  },
};

/** A value as `pprint.pformat` or `:.3f` prints a number: `0.5`, `nan`, `True`, `np.float64(0.5)`. */
function readValue(text: string): number | undefined {
  const plain = pythonToJson5(text.trim());
  if (plain === "true") return 1;
  if (plain === "false") return 0;
  return readNumberText(plain) ?? undefined;
}
