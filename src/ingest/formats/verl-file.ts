/**
 * verl's file logger (`trainer.logger` holding `file`): one JSON object per
 * step, `{"step": N, "data": {...metrics}}` (newer releases add
 * `elapsed_seconds`), written to `$VERL_FILE_LOGGER_PATH` or
 * `<VERL_FILE_LOGGER_ROOT>/<project>/<experiment>.jsonl`. Each line is a whole
 * step, as in verl's console log.
 */

import type { LineFormat } from "../format.js";
import { claimsObject, objectLine } from "../parse/json-line.js";
import { MetricReader, readStep, stepRecord, WholeSteps } from "../parse/metrics.js";
import { isObject } from "../parse/values.js";

export const verlFile: LineFormat = {
  name: "verl-file",
  kind: "lines",
  title: 'verl file logger JSONL ({"step": N, "data": {...}})',
  late: "replace",
  claims: (line) => claimsObject(line, (value) => readStep(value.step) !== undefined && isObject(value.data)),
  open(context) {
    const metrics = new MetricReader();
    const whole = new WholeSteps();
    return {
      line(text, line, sink, unterminated) {
        const object = objectLine(text, line, sink, unterminated);
        if (!object) return;
        const step = readStep(object.step);
        if (step === undefined || !isObject(object.data)) {
          sink.problem({ line, reason: 'expected {"step": N, "data": {...}}' }, "malformed");
          return;
        }
        whole.note(step, line, sink);
        const { data, step: _step, ...rest } = object;
        // Anything beside `data` (elapsed_seconds) is kept as an extra metric too.
        sink.record(stepRecord(context.run, step, metrics.read({ ...data, ...rest }, line, sink)), line);
      },
      end() {},
    };
  },
};
