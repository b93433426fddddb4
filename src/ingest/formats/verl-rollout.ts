/**
 * verl's rollout dumps (`trainer.rollout_data_dir`): one `{step}.jsonl` file per
 * training step, one JSON object per trajectory with `input`, `output`, `gts`
 * (missing in some releases), `score`, `step`, and every `reward_extra_info`
 * key the reward function returned (`acc`, `pred`, ...).
 *
 * Group membership is not written; GRPO samples each prompt n times, so the
 * trajectories of one step that share their `input` form a group. Numbers and
 * booleans become trajectory columns (names mapped through the table: `score`
 * is the reward, `acc` the correctness); text fields are not columns.
 */

import type { LineFormat } from "../format.js";
import { claimsObject, objectLine } from "../parse/json-line.js";
import { readStep } from "../parse/metrics.js";
import { canonicalColumns } from "../parse/names.js";
import { readNumber, setKey } from "../parse/values.js";

export const verlRollout: LineFormat = {
  name: "verl-rollout",
  kind: "lines",
  title: "verl rollout dumps (rollout_data_dir/{step}.jsonl: input, output, score, step per trajectory)",
  late: "replace",
  filePerStep: true,
  claims: (line) =>
    claimsObject(
      line,
      (v) => typeof v.input === "string" && typeof v.output === "string" && "score" in v && "step" in v,
    ),
  open(context) {
    let step = -1;
    const groups = new Map<string, number>();
    return {
      line(text, line, sink, unterminated) {
        const object = objectLine(text, line, sink, unterminated);
        if (!object) return;
        const at = readStep(object.step);
        if (at === undefined) {
          sink.problem({ line, reason: "step: expected a non-negative integer", field: "step" }, "malformed");
          return;
        }
        if (at !== step) {
          step = at;
          groups.clear();
        }
        const input = typeof object.input === "string" ? object.input : JSON.stringify(object.input);
        let group = groups.get(input);
        if (group === undefined) {
          group = groups.size;
          groups.set(input, group);
        }

        const values: Record<string, number> = { group };
        for (const key of Object.keys(object)) {
          if (key === "step") continue;
          const value = readNumber(object[key]);
          // Text is not a column, even text that reads as a number (a predicted answer "42").
          if (typeof value === "number" && typeof object[key] !== "string") {
            setKey(values, key, value);
          }
        }
        if (!("score" in values)) {
          sink.problem({ line, reason: "score: not a number; the trajectory has no reward", field: "score" }, "value");
        }
        sink.record({ kind: "trajectory", run: context.run, step: at, values: canonicalColumns(values) }, line);
      },
      end() {},
    };
  },
};
