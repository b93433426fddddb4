/**
 * A step's metrics from a flat dict, as most foreign logs write them (a console
 * dict line, a JSON log line, a CSV row): numbers and numbers-as-text are
 * metrics, mapped through the name table; `null` is missing; anything else is
 * not a number and is reported, once per key and source.
 */
import { describeValue } from "../../telemetry/decode.js";
import type { StepRecord } from "../../telemetry/records.js";
import type { Sink } from "../format.js";
import { canonicalMetrics } from "./names.js";
import { readNumber, setKey } from "./values.js";

export class MetricReader {
  /** Keys already reported as not numbers: reported once per source, not once per line. */
  private readonly reported = new Set<string>();

  /**
   * @param ignored keys that are not metrics (the step number, text the format
   *   always writes), left out without a report.
   * @param rename map names through the table (foreign logs), or keep them as
   *   they are (canonical tables, whose names already are the contract's).
   */
  constructor(
    private readonly ignored: ReadonlySet<string> = new Set(),
    private readonly rename = true,
  ) {}

  /** The metrics of `raw`, under canonical names where the table knows them. */
  read(raw: Readonly<Record<string, unknown>>, line: number, sink: Sink): Record<string, number> {
    const metrics: Record<string, number> = {};
    for (const key of Object.keys(raw)) {
      if (this.ignored.has(key)) continue;
      const value = readNumber(raw[key]);
      if (typeof value === "number") {
        setKey(metrics, key, value);
      } else if (value === undefined && !this.reported.has(key)) {
        this.reported.add(key);
        sink.problem(
          {
            line,
            reason: `metrics.${key}: ${describeValue(raw[key])} is not a number; left out (reported once per key)`,
            field: `metrics.${key}`,
          },
          "value",
        );
      }
    }
    return this.rename ? canonicalMetrics(metrics) : metrics;
  }
}

/**
 * For formats that write each step whole, on one line (verl's loggers): a step
 * on the line right after its own is the step logged again. The gatherer
 * merges records of the step it has open, the later values winning; this
 * reports it, as the later record replacing the earlier.
 */
export class WholeSteps {
  private previous = -1;

  note(step: number, line: number, sink: Sink): void {
    if (step === this.previous) {
      const reason = `step: step ${step} logged again on the next line; its values win over the earlier's`;
      sink.problem({ line, reason, field: "step" }, "replaced");
    }
    this.previous = step;
  }
}

/** A `step` record. */
export function stepRecord(run: string, step: number, metrics: Record<string, number>, time?: number): StepRecord {
  const record: StepRecord = { kind: "step", run, step, metrics };
  if (time !== undefined && Number.isFinite(time)) record.time = time;
  return record;
}

/** A step number as written: a non-negative integer (text too, as in `'12'`), else undefined. */
export function readStep(value: unknown): number | undefined {
  const n = readNumber(value);
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** The hint added to a problem on a source's last line when it had no line end. */
export const CUT_OFF = " (the last line has no line end: it may have been cut off while being written)";
