/**
 * Values as foreign logs write them, read into numbers: numbers, numbers printed
 * as text (`'0.2218'`, `"1e-06"`), Python's and JSON5's spellings of the
 * non-finite ones (`nan`, `inf`, `-inf`, `NaN`, `Infinity`), and booleans (a
 * 0/1 flag). And JSON as Python's `json.dumps` writes it, bare `NaN` included.
 */
import JSON5 from "json5";

/** What a written value is: a number, missing (`null`, `None`, an empty cell), or not a number at all. */
export type ReadValue = number | null | undefined;

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE: ReadonlyMap<string, number> = new Map([
  ["nan", NaN],
  ["-nan", NaN],
  ["+nan", NaN],
  ["inf", Infinity],
  ["+inf", Infinity],
  ["infinity", Infinity],
  ["+infinity", Infinity],
  ["-inf", -Infinity],
  ["-infinity", -Infinity],
]);

/** A value as a number; `null` when it says "missing"; `undefined` when it is not a number (text, a list). */
export function readNumber(value: unknown): ReadValue {
  switch (typeof value) {
    case "number":
      return value;
    case "boolean":
      return value ? 1 : 0;
    case "bigint":
      return Number(value);
    case "string":
      return readNumberText(value);
    default:
      return value === null || value === undefined ? null : undefined;
  }
}

/** Text as a number: decimal, exponent, or a non-finite spelling; empty text is missing. */
export function readNumberText(text: string): ReadValue {
  const t = text.trim();
  if (t.length === 0) return null;
  if (DECIMAL.test(t)) return Number(t);
  return NON_FINITE.get(t.toLowerCase());
}

/** The outcome of parsing a piece of text. */
export type Parsed = { value: unknown } | { error: string };

/**
 * JSON as Python writes it: JSON.parse first (fast, and what nearly every line
 * is), then JSON5, which also takes the bare `NaN`, `Infinity` and `-Infinity`
 * that `json.dumps` writes for non-finite floats.
 */
export function parseJsonLoose(text: string): Parsed {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a byte order mark JSON.parse rejects
  try {
    return { value: JSON.parse(body) };
  } catch (strict) {
    try {
      return { value: JSON5.parse(body) };
    } catch {
      return { error: `not valid JSON: ${errorMessage(strict)}` };
    }
  }
}

/** Sets a key by defineProperty, not assignment: keys come from the input, and `__proto__` must stay a plain key. */
export function setKey<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
