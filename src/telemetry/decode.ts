/**
 * One line of JSONL text -> one canonical record, or the Problem that says why
 * the line is unusable. Never throws, whatever the input.
 *
 * The decoder works on the objects JSON.parse made and converts them in place
 * (a `"NaN"` cell becomes NaN in the same array, a `null` metric is deleted from
 * the same object), so a well-formed line costs no allocation beyond the parse.
 *
 * Accepted values (the telemetry spec, "Values"):
 * - numbers, and the strings "NaN", "Infinity", "-Infinity" for non-finite numbers;
 * - `null` for missing: a metric or row cell sent as null is absent, a column cell
 *   sent as null is NaN and counted in `missingCells`;
 * - in trajectory cells only (columns and rows), `true`/`false` as 1/0, so that
 *   0/1 flag columns (`correct`, `truncated`, `format_ok`) may be sent as booleans.
 */

import type {
  EventRecord,
  Problem,
  StepRecord,
  TelemetryRecord,
  TrajectoriesRecord,
  TrajectoryRecord,
} from "./records.js";
import { CANONICAL_TRAJECTORY_COLUMNS } from "./records.js";

type JsonObject = Record<string, unknown>;

/** Keys of a `trajectory` row that describe the row rather than hold a cell. */
const ROW_RESERVED_KEYS = new Set(["kind", "run", "step", "time"]);
/** Keys of an `event` line that are not part of its `data`. */
const EVENT_RESERVED_KEYS = ["kind", "run", "step", "name"];
const CANONICAL_COLUMN_SET: ReadonlySet<string> = new Set(CANONICAL_TRAJECTORY_COLUMNS);

/**
 * Called for each metric of a `step` record whose value is not a number: the
 * metric is left out and the rest of the record kept. Without it, such a value
 * makes the whole record a Problem.
 */
export type OnBadValue = (problem: Problem) => void;

/**
 * Decodes one line. `source` and `line` only label the Problem; the text must
 * not include its line terminator (a trailing `\r` is tolerated by JSON.parse).
 */
export function decodeLine(
  text: string,
  source: string,
  line: number,
  onBadValue?: OnBadValue,
): TelemetryRecord | Problem {
  let parsed: unknown;
  try {
    // A UTF-8 byte order mark at the start of a file survives decoding and JSON.parse rejects it.
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    return { source, line, reason: `not valid JSON: ${errorMessage(err)}` };
  }
  try {
    return decodeValue(parsed, source, line, onBadValue);
  } catch (err) {
    // Unreachable by design; kept so that a decoder bug costs one line, not the scan.
    return { source, line, reason: `could not decode: ${errorMessage(err)}` };
  }
}

/** Decodes an already parsed JSON value (what `decodeLine` does after JSON.parse). Mutates `value`. */
export function decodeValue(
  value: unknown,
  source: string,
  line: number,
  onBadValue?: OnBadValue,
): TelemetryRecord | Problem {
  const fail = (reason: string, field?: string): Problem =>
    field === undefined ? { source, line, reason } : { source, line, reason, field };

  if (!isObject(value)) return fail(`expected a JSON object, got ${describeValue(value)}`);
  const kind = value.kind;
  if (kind !== "step" && kind !== "trajectories" && kind !== "trajectory" && kind !== "event") {
    return kind === undefined
      ? fail("kind: missing", "kind")
      : fail(`kind: expected "step", "trajectories", "trajectory" or "event", got ${describeValue(kind)}`, "kind");
  }

  const run = value.run;
  let runName: string;
  if (typeof run === "string" && run.length > 0) runName = run;
  else if (typeof run === "number" && Number.isFinite(run)) runName = String(run);
  else return fail(`run: expected a non-empty string, got ${describeValue(run)}`, "run");

  const step = value.step;
  if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
    return fail(`step: expected a non-negative integer, got ${describeValue(step)}`, "step");
  }

  switch (kind) {
    case "step":
      return decodeStep(
        value,
        runName,
        step,
        fail,
        onBadValue && ((reason: string, field: string) => onBadValue(fail(reason, field))),
      );
    case "trajectories":
      return decodeTrajectories(value, runName, step, fail);
    case "trajectory":
      return decodeTrajectory(value, runName, step, fail);
    case "event":
      return decodeEvent(value, runName, step, fail);
  }
}

type Fail = (reason: string, field?: string) => Problem;

function decodeStep(
  value: JsonObject,
  run: string,
  step: number,
  fail: Fail,
  leftOut?: (reason: string, field: string) => void,
): StepRecord | Problem {
  const time = value.time;
  if (time !== undefined && time !== null && (typeof time !== "number" || !Number.isFinite(time))) {
    return fail(`time: expected a finite number, got ${describeValue(time)}`, "time");
  }
  const metrics = value.metrics;
  if (!isObject(metrics)) return fail(`metrics: expected an object, got ${describeValue(metrics)}`, "metrics");
  for (const name of Object.keys(metrics)) {
    const v = metrics[name];
    if (typeof v === "number") continue;
    if (v === null) {
      delete metrics[name];
      continue;
    }
    const x = nonFinite(v);
    if (x === undefined) {
      const reason = `metrics.${name}: expected a number, got ${describeValue(v)}`;
      if (!leftOut) return fail(reason, `metrics.${name}`);
      // The other metrics of the line are good: keep them, report this one.
      leftOut(`${reason}; left out, the rest of the record used`, `metrics.${name}`);
      delete metrics[name];
      continue;
    }
    metrics[name] = x;
  }
  const record: StepRecord = { kind: "step", run, step, metrics: metrics as Record<string, number> };
  if (typeof time === "number") record.time = time;
  return record;
}

function decodeTrajectories(value: JsonObject, run: string, step: number, fail: Fail): TrajectoriesRecord | Problem {
  const columns = value.columns;
  if (!isObject(columns))
    return fail(`columns: expected an object of arrays, got ${describeValue(columns)}`, "columns");
  const names = Object.keys(columns);
  let rows = -1;
  let missingCells = 0;
  for (const name of names) {
    const cells = columns[name];
    if (!Array.isArray(cells)) {
      return fail(`columns.${name}: expected an array, got ${describeValue(cells)}`, `columns.${name}`);
    }
    if (rows === -1) rows = cells.length;
    else if (cells.length !== rows) return fail(lengthMismatch(columns, names), "columns");
    for (let i = 0; i < cells.length; i++) {
      const v: unknown = cells[i];
      if (typeof v === "number") continue; // the common case: nothing to convert
      if (v === null) {
        cells[i] = NaN;
        missingCells++;
        continue;
      }
      const x = cellValue(v);
      if (x === undefined) {
        return fail(`columns.${name}[${i}]: expected a number, got ${describeValue(v)}`, `columns.${name}`);
      }
      cells[i] = x;
    }
  }
  const record: TrajectoriesRecord = {
    kind: "trajectories",
    run,
    step,
    rows: rows === -1 ? 0 : rows,
    columns: columns as Record<string, number[]>,
  };
  if (missingCells > 0) record.missingCells = missingCells;
  return record;
}

/**
 * A row's cells are its keys other than kind/run/step/time. A key holding text,
 * an array or an object is not a cell (the spec keeps unknown keys and ignores
 * them; a trainer may attach the response text), except under a canonical
 * column name, where it is an error.
 */
function decodeTrajectory(value: JsonObject, run: string, step: number, fail: Fail): TrajectoryRecord | Problem {
  for (const name of ROW_RESERVED_KEYS) delete value[name];
  for (const name of Object.keys(value)) {
    const v = value[name];
    if (typeof v === "number") continue;
    const x = v === null ? undefined : cellValue(v);
    if (x !== undefined) value[name] = x;
    else if (v !== null && CANONICAL_COLUMN_SET.has(name)) {
      return fail(`${name}: expected a number, got ${describeValue(v)}`, name);
    } else delete value[name];
  }
  return { kind: "trajectory", run, step, values: value as Record<string, number> };
}

function decodeEvent(value: JsonObject, run: string, step: number, fail: Fail): EventRecord | Problem {
  const name = value.name;
  if (typeof name !== "string" || name.length === 0) {
    return fail(`name: expected a non-empty string, got ${describeValue(name)}`, "name");
  }
  for (const key of EVENT_RESERVED_KEYS) delete value[key];
  return { kind: "event", run, step, name, data: value };
}

/** The number a non-finite spelling stands for, or undefined. */
function nonFinite(v: unknown): number | undefined {
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  return undefined;
}

/** A trajectory cell other than a number or null: a non-finite spelling or a boolean flag. */
function cellValue(v: unknown): number | undefined {
  if (typeof v === "boolean") return v ? 1 : 0;
  return nonFinite(v);
}

/** `columns.reward has 8 values but columns.group has 7 (lengths: group 7, reward 8, ...)`. */
function lengthMismatch(columns: JsonObject, names: string[]): string {
  const lengthOf = (name: string): string => {
    const cells = columns[name];
    return Array.isArray(cells) ? String(cells.length) : "not an array";
  };
  const first = names[0];
  const odd = names.find((name) => Array.isArray(columns[name]) && lengthOf(name) !== lengthOf(first)) ?? first;
  const all = names.map((name) => `${name} ${lengthOf(name)}`);
  const listed = all.length > 20 ? [...all.slice(0, 20), `... ${all.length - 20} more`] : all;
  return (
    `columns.${odd} has ${lengthOf(odd)} values but columns.${first} has ${lengthOf(first)}` +
    ` (lengths: ${listed.join(", ")})`
  );
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A short, readable rendering of an offending value for a Problem's reason. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  switch (typeof v) {
    case "string":
      return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
    case "object":
      return "an object";
    default:
      return String(v);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
