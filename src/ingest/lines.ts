/**
 * The streaming line source: files, gzip files, stdin and streams -> numbered
 * lines of text, one source after the other. Reads in chunks and holds at most
 * one chunk and one incomplete line, so a file far larger than memory is fine.
 *
 * - `-` means stdin.
 * - gzip is detected by its magic bytes (0x1f 0x8b), not by the file name, so a
 *   misnamed file works; concatenated gzip members are read as one stream.
 * - CRLF and LF line ends both work; blank lines are skipped but still numbered,
 *   so line numbers match what an editor shows (1-based, per source).
 * - Nothing is thrown for bad input: a source that cannot be opened, or that
 *   fails part way (a truncated or corrupt gzip stream), yields a problem whose
 *   `line` is the last line read whole, and reading goes on with the next source.
 */
import { createReadStream } from "node:fs";
import { pipeline, Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import type { Problem } from "../telemetry/records.js";
import type { ProblemCause } from "./report.js";

/** A stream with the name to report it under. */
export interface NamedStream {
  name: string;
  stream: NodeJS.ReadableStream;
}

/** A file path, `-` for stdin, a readable stream (of bytes or of text), or a named stream. */
export type LineSource = string | NodeJS.ReadableStream | NamedStream;

/** One non-blank line of a source, without its line end. */
export interface SourceLine {
  source: string;
  /** 1-based within the source. */
  line: number;
  text: string;
}

/**
 * A problem met while reading lines: `malformed` for a line skipped as too long,
 * `source` for a source that could not be read (to the end).
 */
export interface LineProblem extends Problem {
  cause: Extract<ProblemCause, "malformed" | "source">;
}

export interface ReadLinesOptions {
  /** A line longer than this many characters is skipped and reported (default 64 Mi). */
  maxLineLength?: number;
}

/** Far above any sane record, far below V8's string limit (which would throw). */
export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024 * 1024;

/** Every non-blank line of every source, in order, and the problems met on the way. */
export async function* readLines(
  sources: readonly LineSource[],
  options: ReadLinesOptions = {},
): AsyncGenerator<SourceLine | LineProblem> {
  for await (const batch of readLineBatches(sources, options)) yield* batch;
}

/**
 * Same as `readLines`, a chunk's worth of lines at a time: the form for
 * high-volume consumers, which pay one await per chunk rather than per line.
 */
export async function* readLineBatches(
  sources: readonly LineSource[],
  options: ReadLinesOptions = {},
): AsyncGenerator<Array<SourceLine | LineProblem>> {
  const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  for (let i = 0; i < sources.length; i++) {
    yield* readSource(sources[i], sourceName(sources[i], i), maxLineLength);
  }
}

/** The name a source is reported under: the path as given, `stdin`, or `<stream N>` (1-based). */
export function sourceName(source: LineSource, index: number): string {
  if (typeof source === "string") return source === "-" ? "stdin" : source;
  if (isNamedStream(source)) return source.name;
  const path = (source as { path?: unknown }).path; // an fs.ReadStream knows its file
  return typeof path === "string" ? path : `<stream ${index + 1}>`;
}

async function* readSource(
  source: LineSource,
  name: string,
  maxLineLength: number,
): AsyncGenerator<Array<SourceLine | LineProblem>> {
  const splitter = new LineSplitter(name, maxLineLength);
  const decoder = new StringDecoder("utf8");
  let gotData = false;
  try {
    for await (const chunk of sourceChunks(source)) {
      gotData = true;
      const out: Array<SourceLine | LineProblem> = [];
      splitter.push(typeof chunk === "string" ? chunk : decoder.write(chunk), out);
      if (out.length > 0) yield out;
    }
    const out: Array<SourceLine | LineProblem> = [];
    splitter.push(decoder.end(), out);
    splitter.end(out);
    if (out.length > 0) yield out;
  } catch (err) {
    yield [readFailure(err, name, gotData, splitter.lineNumber, splitter.hasPartialLine)];
  }
}

/**
 * The chunks of a source, in order: a file (`-` is stdin) or a stream, gunzipped
 * when it starts with the gzip magic. Closes the file it opened, also when the
 * consumer stops early. Throws what reading throws (a file that cannot be
 * opened, a truncated or corrupt gzip stream): `readFailure` words it.
 */
export async function* sourceChunks(source: LineSource): AsyncGenerator<Buffer | string> {
  let opened: Readable | undefined;
  try {
    let stream: NodeJS.ReadableStream;
    if (source === "-") stream = process.stdin;
    else if (typeof source === "string") stream = opened = createReadStream(source, { highWaterMark: 1 << 20 });
    else stream = isNamedStream(source) ? source.stream : source;
    yield* bytesOrText(stream);
  } finally {
    opened?.destroy();
  }
}

/**
 * The chunks of a stream, gunzipped when its first two bytes are the gzip magic.
 * Text chunks (a stream in object mode or with an encoding set) pass as they are.
 */
async function* bytesOrText(stream: NodeJS.ReadableStream): AsyncGenerator<Buffer | string> {
  const chunks = (stream as AsyncIterable<Buffer | Uint8Array | string>)[Symbol.asyncIterator]();
  const rest = { [Symbol.asyncIterator]: () => chunks };
  const first = await chunks.next();
  if (first.done) return;
  if (typeof first.value === "string") {
    yield first.value;
    for await (const chunk of rest) yield typeof chunk === "string" ? chunk : toBuffer(chunk);
    return;
  }
  // Gather two bytes to decide (a stream may hand over a single byte first).
  let head = toBuffer(first.value);
  while (head.length < 2) {
    const next = await chunks.next();
    if (next.done) break;
    head = Buffer.concat([head, toBuffer(next.value)]);
  }
  if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) {
    yield head;
    for await (const chunk of rest) yield toBuffer(chunk);
    return;
  }
  const compressed = Readable.from(prepend(head, rest), { objectMode: false });
  // pipeline ties the two together: an error on either side fails the iteration
  // below, and leaving the iteration early closes the source.
  const gunzip = pipeline(compressed, createGunzip(), () => {});
  yield* gunzip as AsyncIterable<Buffer>;
}

async function* prepend(head: Buffer, rest: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<Buffer> {
  yield head;
  for await (const chunk of rest) yield toBuffer(chunk);
}

function toBuffer(chunk: Buffer | Uint8Array | string): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  return typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Cuts decoded text into lines, numbering every line (blank ones too). */
export class LineSplitter {
  /** Lines completed so far, blank ones included: the last good line number. */
  lineNumber = 0;
  private pending = "";
  /** The current line outgrew the limit: its text is being thrown away up to the next newline. */
  private overlong = false;

  constructor(
    private readonly source: string,
    private readonly maxLineLength: number,
  ) {}

  get hasPartialLine(): boolean {
    return this.pending.length > 0 || this.overlong;
  }

  push(text: string, out: Array<SourceLine | LineProblem>): void {
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      const piece = text.slice(start, nl);
      const line = this.pending.length > 0 ? this.pending + piece : piece;
      this.pending = "";
      this.complete(line, out);
      start = nl + 1;
    }
    if (start === text.length) return;
    if (this.overlong) return;
    this.pending += start === 0 ? text : text.slice(start);
    if (this.pending.length > this.maxLineLength) {
      this.pending = "";
      this.overlong = true;
    }
  }

  /**
   * Emits the last line when the source does not end with a newline. Returns
   * whether it did (the last item put in `out` is then that unterminated line).
   */
  end(out: Array<SourceLine | LineProblem>): boolean {
    if (!this.hasPartialLine) return false;
    const line = this.pending;
    this.pending = "";
    const before = out.length;
    this.complete(line, out);
    return out.length > before;
  }

  /** Forgets the line in progress and the numbering: the source starts over (a followed file was truncated). */
  reset(): void {
    this.pending = "";
    this.overlong = false;
    this.lineNumber = 0;
  }

  private complete(line: string, out: Array<SourceLine | LineProblem>): void {
    const number = ++this.lineNumber;
    if (this.overlong || line.length > this.maxLineLength) {
      this.overlong = false;
      out.push({
        source: this.source,
        line: number,
        reason: `line is longer than ${this.maxLineLength} characters; skipped`,
        cause: "malformed",
      });
      return;
    }
    const text = line.charCodeAt(line.length - 1) === 13 /* \r */ ? line.slice(0, -1) : line;
    if (text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim().length === 0)) return;
    out.push({ source: this.source, line: number, text });
  }
}

/**
 * The problem for a source that failed: `lastLine` is the last line read whole,
 * `partialLine` says whether an incomplete line after it was lost.
 */
export function readFailure(
  err: unknown,
  source: string,
  gotData: boolean,
  lastLine: number,
  partialLine: boolean,
): LineProblem {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  const isGzip = typeof code === "string" && code.startsWith("Z_"); // zlib's error codes
  if (!gotData && !isGzip)
    return { source, line: lastLine, reason: `cannot read ${source}: ${message}`, cause: "source" };
  const what = isGzip ? `gzip data is truncated or corrupt (${message})` : `read failed (${message})`;
  const dropped = partialLine ? `; the incomplete line ${lastLine + 1} was dropped` : "";
  const reason = `${what} after line ${lastLine}${dropped}; the rest of the source was skipped`;
  return { source, line: lastLine, reason, cause: "source" };
}

function isNamedStream(source: LineSource): source is NamedStream {
  return typeof source === "object" && source !== null && "stream" in source && typeof source.name === "string";
}
