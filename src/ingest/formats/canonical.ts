/**
 * The canonical telemetry JSONL (docs/spec/telemetry.md): `step`,
 * `trajectories`, `trajectory` and `event` records, one per line. The default
 * format, read by the strict decoder; records arrive in step order, so a record
 * for a step its run has moved past is skipped and reported. A `step` record
 * with a metric that is not a number keeps its other metrics; the bad one is
 * reported (as the foreign adapters do).
 */
import { decodeLine } from "../../telemetry/decode.js";
import { isProblem, RECORD_KINDS, type RecordKind } from "../../telemetry/records.js";
import type { LineFormat } from "../format.js";
import { claimsObject } from "../parse/json-line.js";
import { CUT_OFF } from "../parse/metrics.js";

const KINDS: ReadonlySet<unknown> = new Set<RecordKind>(RECORD_KINDS);

export const canonical: LineFormat = {
  name: "canonical",
  kind: "lines",
  title: "rftfm telemetry JSONL (step, trajectories, trajectory and event records)",
  late: "skip",
  claims: (line) => claimsObject(line, (value) => KINDS.has(value.kind)),
  open: (context) => ({
    line(text, line, sink, unterminated) {
      const decoded = decodeLine(text, context.source, line, ({ source: _source, ...problem }) =>
        sink.problem(problem, "value"),
      );
      if (!isProblem(decoded)) {
        sink.record(decoded, line);
        return;
      }
      const { source: _source, ...problem } = decoded;
      if (unterminated && problem.reason.startsWith("not valid JSON")) problem.reason += CUT_OFF;
      sink.problem(problem, "malformed");
    },
    end() {},
  }),
};
