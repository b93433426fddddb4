/**
 * The inverse of decode: one canonical record -> one JSONL line (without the
 * newline), for adapters and harnesses that write telemetry.
 *
 * Non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity".
 * A decode of the line gives back an equal record, except that `missingCells`
 * is not kept (a NaN cell is written as "NaN", whatever it was read from) and
 * that an event's `data` is written as is (its values are not decoded), and
 * that JSON writes -0 as 0.
 */
import type { TelemetryRecord } from "./records.js";

export function encodeRecord(record: TelemetryRecord): string {
  switch (record.kind) {
    case "step": {
      const line: Record<string, unknown> = { kind: "step", run: record.run, step: record.step };
      if (record.time !== undefined) line.time = record.time;
      line.metrics = record.metrics;
      return JSON.stringify(line, writeNonFinite);
    }
    case "trajectories":
      return JSON.stringify(
        { kind: "trajectories", run: record.run, step: record.step, columns: record.columns },
        writeNonFinite,
      );
    case "trajectory":
      return JSON.stringify(
        withFields({ kind: "trajectory", run: record.run, step: record.step }, record.values),
        writeNonFinite,
      );
    case "event":
      return JSON.stringify(
        withFields({ kind: "event", run: record.run, step: record.step, name: record.name }, record.data),
        writeNonFinite,
      );
  }
}

/**
 * JSON has no NaN: JSON.stringify would write null, which means "missing" in the
 * format. Typed arrays are written as arrays.
 */
function writeNonFinite(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (value instanceof Float64Array) return Array.from(value);
  return value;
}

/** Any value as JSON text, with the telemetry convention for non-finite numbers. */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, writeNonFinite);
}

/** `head` followed by the keys of `fields` that `head` does not already hold. */
function withFields(head: Record<string, unknown>, fields: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(fields)) {
    if (Object.hasOwn(head, key)) continue;
    // defineProperty, not assignment: a key named "__proto__" must stay a plain key.
    Object.defineProperty(head, key, { value: fields[key], enumerable: true, writable: true, configurable: true });
  }
  return head;
}
