/**
 * Text from the input (run names, metric names, excerpts of bad lines) made
 * safe to print for people: control characters (C0 with the line end and tab,
 * DEL, C1), the bidirectional overrides and isolates, and the Unicode line
 * separators are written as escapes (`\x1b`, `\n`, `\u202e`), so that a run name
 * can neither clear the screen, recolour it, reorder it, nor print a line of its
 * own (a forged `run x: 40 steps, no alarm`). JSON output needs none of this:
 * JSON escapes control characters itself.
 */

/** One character class: a single linear pass. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** The text with every unprintable character escaped; the text itself when it has none. */
export function printable(text: string): string {
  UNPRINTABLE.lastIndex = 0;
  if (!UNPRINTABLE.test(text)) return text;
  UNPRINTABLE.lastIndex = 0;
  return text.replace(UNPRINTABLE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
