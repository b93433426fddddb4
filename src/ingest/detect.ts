/**
 * Format detection from content, not from file names: the first bytes decide
 * for the document formats (the Parquet and Arrow magics, a JSON document with
 * a `log_history`), then the first line that a line format claims decides for
 * the line formats (a log may hold hundreds of lines of start-up output before
 * its first metric line). gzip is undone before any of this.
 */

import type { DocumentFormat, DocumentInput, LineFormat } from "./format.js";
import { DEFAULT_FORMAT, DOCUMENT_FORMATS, LINE_FORMATS } from "./formats/index.js";

/** How many bytes of a source the document formats are shown. */
export const HEAD_BYTES = 64 * 1024;

/** Lines a source may hold before one is claimed; past that, the fallback decides. */
export const MAX_UNDECIDED_LINES = 100_000;

/**
 * Characters those lines may hold, whatever their number (a text file of long
 * lines held 686 MB for 600 MB): past that too, the fallback decides.
 */
export const MAX_UNDECIDED_CHARS = 16 * 1024 * 1024;

/** The document format whose signature the source carries, if any. */
export async function detectDocument(head: Uint8Array, input: DocumentInput): Promise<DocumentFormat | undefined> {
  for (const format of DOCUMENT_FORMATS) if (await format.claims(head, input)) return format;
  return undefined;
}

/** The line format that claims this line, if any. */
export function detectLine(line: string): LineFormat | undefined {
  return LINE_FORMATS.find((format) => format.claims(line));
}

/**
 * The format of a source none of whose lines was claimed: the canonical JSONL
 * (the default) when it has JSON-looking lines, so that each is reported as
 * the canonical reader finds it; none for plain text, which is then reported
 * once as not telemetry.
 */
export function fallbackFormat(lines: readonly string[]): LineFormat | undefined {
  return lines.some((line) => /^\s*[[{]/.test(line)) ? DEFAULT_FORMAT : undefined;
}
