/**
 * Python literals as `str(dict)` and `pprint.pformat` print them (the HF
 * Trainer's console dict lines, verl's console values), read with JSON5 after
 * rewriting the few tokens Python spells differently. Strings pass through
 * untouched: JSON5 reads Python's quoting ('...' and "...", with `\x..` and
 * `\u....` escapes) as it is.
 */
import JSON5 from "json5";
import { errorMessage, type Parsed } from "./values.js";

const SPELLINGS: ReadonlyMap<string, string> = new Map([
  ["nan", "NaN"],
  ["inf", "Infinity"],
  ["True", "true"],
  ["False", "false"],
  ["None", "null"],
]);

/**
 * Rewrites Python's spellings into JSON5's, leaving quoted strings alone: `nan`,
 * `inf` (a sign before them stays, and JSON5 reads `-Infinity`, `+NaN`), `True`,
 * `False`, `None`, a numpy scalar `np.float64(0.5)` (numpy 2 prints scalars so),
 * a torch scalar `tensor(0.5, device='cuda:0')`.
 *
 * A scanner, not a regular expression: one pass over the text, whatever it
 * holds (a regex for the calls backtracked cubically on `np.float64(` and
 * spaces without a `)`).
 */
export function pythonToJson5(text: string): string {
  const n = text.length;
  const closing = new NextIndex(text, ")");
  const opening = new NextIndex(text, "(");
  let out = "";
  let copied = 0; // text before this index is in `out`
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 39 /* ' */ || c === 34 /* " */) {
      i = stringEnd(text, i);
      continue;
    }
    if (!isWordChar(c)) {
      i++;
      continue;
    }
    // A whole word (as \b...\b): letters, digits, underscores.
    const start = i;
    while (i < n && isWordChar(text.charCodeAt(i))) i++;
    const word = text.slice(start, i);
    let replacement: string | undefined;
    let end = i;
    if ((word === "np" || word === "numpy") && text.charCodeAt(i) === 46 /* . */) {
      let j = i + 1;
      while (j < n && isWordChar(text.charCodeAt(j))) j++;
      const call = j > i + 1 ? callArgs(text, j, closing, opening) : undefined;
      if (call) {
        replacement = pythonToJson5(call.args.trim());
        end = call.end;
      }
    } else if (word === "tensor") {
      const call = callArgs(text, i, closing, opening);
      if (call) {
        const comma = call.args.indexOf(",");
        replacement = pythonToJson5((comma === -1 ? call.args : call.args.slice(0, comma)).trim());
        end = call.end;
      }
    } else {
      replacement = SPELLINGS.get(word);
    }
    if (replacement !== undefined) {
      out += text.slice(copied, start) + replacement;
      copied = end;
    }
    i = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** The index after the string starting at `start` (its closing quote), or the text's end when it is not closed. */
function stringEnd(text: string, start: number): number {
  const quote = text.charCodeAt(start);
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === quote) return i + 1;
  }
  return text.length;
}

/** A call's arguments when `(` is at `at` and its `)` comes before any other `(`; undefined otherwise. */
function callArgs(
  text: string,
  at: number,
  closing: NextIndex,
  opening: NextIndex,
): { args: string; end: number } | undefined {
  if (text.charCodeAt(at) !== 40 /* ( */) return undefined;
  const close = closing.from(at + 1);
  if (close === -1) return undefined;
  const open = opening.from(at + 1);
  if (open !== -1 && open < close) return undefined;
  return { args: text.slice(at + 1, close), end: close + 1 };
}

/**
 * The next index of a character at or after a position, for positions that only
 * grow: each search starts where the last one found its answer, so all of them
 * together read the text once.
 */
class NextIndex {
  private found = -2; // -2: not searched yet; -1: none at or after `searchedFrom`
  private searchedFrom = 0;

  constructor(
    private readonly text: string,
    private readonly char: string,
  ) {}

  from(position: number): number {
    if (this.found === -1 && position >= this.searchedFrom) return -1;
    if (this.found < position) {
      this.searchedFrom = position;
      this.found = this.text.indexOf(this.char, position);
    }
    return this.found;
  }
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Parses a Python literal (a dict of scalars, a scalar). */
export function parsePython(text: string): Parsed {
  try {
    return { value: JSON5.parse(pythonToJson5(text)) };
  } catch (err) {
    return { error: `not a Python literal: ${errorMessage(err)}` };
  }
}
