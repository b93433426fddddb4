/**
 * Reading one source in whatever format it is: open it (gunzipping), detect
 * its format from its content (or take the one forced), and run the adapter,
 * yielding records in batches and counting every problem, line of other
 * output and detected format in the ingest report.
 */
import { basename, dirname, resolve } from "node:path";
import { StringDecoder } from "node:string_decoder";
import type { Problem, TelemetryRecord } from "../telemetry/records.js";
import {
  detectDocument,
  detectLine,
  fallbackFormat,
  HEAD_BYTES,
  MAX_UNDECIDED_CHARS,
  MAX_UNDECIDED_LINES,
} from "./detect.js";
import type { RestartCause } from "./follow.js";
import type {
  AdapterOptions,
  DocumentFormat,
  DocumentInput,
  Format,
  FormatName,
  LineFormat,
  LineParser,
  Sink,
  SourceContext,
} from "./format.js";
import { formatNamed } from "./formats/index.js";
import type { LateRule } from "./gather.js";
import {
  DEFAULT_MAX_LINE_LENGTH,
  type LineProblem,
  type LineSource,
  LineSplitter,
  type ReadLinesOptions,
  readFailure,
  type SourceLine,
  sourceChunks,
  sourceName,
} from "./lines.js";
import { errorMessage } from "./parse/values.js";
import type { IngestReport, ProblemCause } from "./report.js";

export interface ReadSourceOptions extends ReadLinesOptions, AdapterOptions {
  /** Read every source as this format instead of detecting it. */
  format?: FormatName;
}

/**
 * Records of one source, with their line numbers side by side (no object per
 * record: the canonical reader's hot path), and the rule of their format for a
 * step their run has moved past.
 */
export interface RecordBatch {
  source: string;
  late: LateRule;
  records: TelemetryRecord[];
  lines: number[];
}

/** Collects an adapter's records for the next batch; problems and other lines go straight to the report. */
class BatchSink implements Sink {
  private records: TelemetryRecord[] = [];
  private lines: number[] = [];

  constructor(
    private readonly source: string,
    private readonly report: IngestReport,
    private readonly late: LateRule,
  ) {}

  record(record: TelemetryRecord, line: number): void {
    this.records.push(record);
    this.lines.push(line);
  }

  problem(problem: Omit<Problem, "source">, cause: ProblemCause): void {
    this.report.addProblem({ source: this.source, ...problem }, cause);
  }

  other(): void {
    this.report.otherLines++;
  }

  inferred(steps: number, how: string): void {
    this.report.noteInferred(this.source, steps, how);
  }

  /** The records since the last call, or undefined when there are none. */
  take(): RecordBatch | undefined {
    if (this.records.length === 0) return undefined;
    const batch = { source: this.source, late: this.late, records: this.records, lines: this.lines };
    this.records = [];
    this.lines = [];
    return batch;
  }
}

/** The context an adapter reads a source in: its run name is the one given, or derived from the path. */
function sourceContext(source: string, format: Format, options: AdapterOptions): SourceContext {
  let run = options.run;
  if (run === undefined) {
    // A format with a file per step (rollout dumps) names the run after the directory of the files.
    const dir = dirname(source);
    run = format.filePerStep && source !== "stdin" ? (dir === "." ? basename(resolve(dir)) : dir) : source;
  }
  return { source, run, options };
}

/**
 * A line source being read: chunks in, records out. Detects the format from
 * the lines (unless one is forced), holding the lines seen until a format
 * claims one, then hands them all to that format's parser.
 */
export class LineReading {
  private readonly splitter: LineSplitter;
  private decoder = new StringDecoder("utf8");
  private format: LineFormat | undefined;
  private parser: LineParser | undefined;
  private sink: BatchSink | undefined;
  /** Lines read before a format claimed one, and their characters. */
  private undecided: SourceLine[] = [];
  private undecidedChars = 0;

  constructor(
    private readonly name: string,
    private readonly report: IngestReport,
    private readonly options: ReadSourceOptions,
    forced?: LineFormat,
  ) {
    this.splitter = new LineSplitter(name, options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH);
    if (forced) this.decide(forced);
  }

  /** Lines read whole so far, and whether an incomplete one follows: for the problem when reading fails. */
  get lastLine(): number {
    return this.splitter.lineNumber;
  }

  get hasPartialLine(): boolean {
    return this.splitter.hasPartialLine;
  }

  /** The records of the lines this chunk completes, if any. */
  push(chunk: Buffer | string): RecordBatch | undefined {
    const lines: Array<SourceLine | LineProblem> = [];
    this.splitter.push(typeof chunk === "string" ? chunk : this.decoder.write(chunk), lines);
    for (const item of lines) this.take(item, false);
    return this.collect();
  }

  /** The end of the source: the records of its last line, if it had no line end, and of what the parser held. */
  end(): RecordBatch | undefined {
    const lines: Array<SourceLine | LineProblem> = [];
    this.splitter.push(this.decoder.end(), lines);
    const unterminated = this.splitter.end(lines);
    lines.forEach((item, i) => {
      this.take(item, unterminated && i === lines.length - 1);
    });
    if (!this.format) {
      const fallback = fallbackFormat(this.undecided.map((line) => line.text));
      if (fallback) this.decide(fallback, unterminated);
      else if (this.undecided.length > 0) {
        this.report.addProblem(
          {
            source: this.name,
            line: this.undecided[0].line,
            reason:
              `none of its ${this.undecided.length} lines is telemetry in a format rftfm knows ` +
              `(nor canonical JSONL); pass --format to force one`,
          },
          "source",
        );
        this.undecided = [];
      }
    }
    if (this.parser && this.sink) this.parser.end(this.sink);
    return this.collect();
  }

  /** The source has gone quiet: the records the parser can give out now. */
  idle(): RecordBatch | undefined {
    if (this.parser && this.sink) this.parser.idle?.(this.sink);
    return this.collect();
  }

  /**
   * The source starts over (a followed file was truncated or replaced): the
   * reason is reported, and reading goes on from its first byte, with a fresh
   * parser of the same format. Returns the records the old parser still held.
   */
  restart(reason: string, cause: RestartCause): RecordBatch | undefined {
    const at = { source: this.name, line: this.splitter.lineNumber, reason };
    // A rotation loses nothing (the old file was read to its end): a note, not a problem.
    if (cause === "rotated") this.report.noteRotation(at);
    else this.report.addProblem(at, "source");
    // What the old log's parser still held belongs to the old log.
    if (this.parser && this.sink) this.parser.end(this.sink);
    const rest = this.collect();
    this.splitter.reset();
    this.decoder = new StringDecoder("utf8");
    if (this.format) this.parser = this.format.open(sourceContext(this.name, this.format, this.options));
    return rest;
  }

  private take(item: SourceLine | LineProblem, unterminated: boolean): void {
    if (!("text" in item)) {
      const { cause, ...problem } = item;
      this.report.addProblem(problem, cause);
      return;
    }
    this.report.lines++;
    if (this.parser) {
      this.parser.line(item.text, item.line, this.sink!, unterminated);
      return;
    }
    this.undecided.push(item);
    this.undecidedChars += item.text.length;
    const claimed = detectLine(item.text);
    if (claimed) this.decide(claimed, unterminated);
    else if (this.undecided.length >= MAX_UNDECIDED_LINES || this.undecidedChars >= MAX_UNDECIDED_CHARS) {
      const fallback = fallbackFormat(this.undecided.map((line) => line.text));
      if (fallback) this.decide(fallback, unterminated);
      else {
        // Plain text all along: not held any longer (memory stays bounded), counted as other output.
        this.report.otherLines += this.undecided.length;
        this.report.noteUndecidedRelease(
          this.undecided.length >= MAX_UNDECIDED_LINES
            ? `${MAX_UNDECIDED_LINES} lines`
            : `${MAX_UNDECIDED_CHARS} characters of lines`,
        );
        this.undecided = [];
        this.undecidedChars = 0;
      }
    }
  }

  /** Settles the format and hands it the lines held so far (the last of them may be the unterminated one). */
  private decide(format: LineFormat, lastUnterminated = false): void {
    this.format = format;
    this.report.formats.set(this.name, format.name);
    const sink = new BatchSink(this.name, this.report, format.late);
    const parser = format.open(sourceContext(this.name, format, this.options));
    this.sink = sink;
    this.parser = parser;
    const held = this.undecided;
    this.undecided = [];
    this.undecidedChars = 0;
    held.forEach((line, i) => {
      parser.line(line.text, line.line, sink, lastUnterminated && i === held.length - 1);
    });
  }

  private collect(): RecordBatch | undefined {
    return this.sink?.take();
  }
}

/**
 * A source as a document: its bytes (read once, on demand) or a stream of
 * them. `next` gives the chunks after the head, undefined at the end.
 */
function documentInput(head: Buffer, next: () => Promise<Buffer | string | undefined>): DocumentInput {
  let whole: Promise<Uint8Array> | undefined;
  async function* all(): AsyncGenerator<Uint8Array> {
    if (head.length > 0) yield head;
    for (let chunk = await next(); chunk !== undefined; chunk = await next()) yield toBuffer(chunk);
  }
  return {
    bytes: () => {
      whole ??= (async () => {
        const chunks: Uint8Array[] = [];
        for await (const chunk of all()) chunks.push(chunk);
        return Buffer.concat(chunks);
      })();
      return whole;
    },
    chunks: () =>
      whole
        ? (async function* () {
            yield await whole!;
          })()
        : all(),
  };
}

function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === "string" ? Buffer.from(chunk) : chunk;
}

/**
 * One source's records, in batches: detects its format (or takes
 * `options.format`), reads it, and counts problems, other output and the
 * format in `report`. Never throws: a source that fails is reported as such.
 */
export async function* readSourceRecords(
  source: LineSource,
  index: number,
  options: ReadSourceOptions,
  report: IngestReport,
): AsyncGenerator<RecordBatch> {
  const name = sourceName(source, index);
  const forced = options.format === undefined ? undefined : formatNamed(options.format);
  const chunks = sourceChunks(source)[Symbol.asyncIterator]();
  // What reading the source threw (a missing file, a truncated gzip stream): reported after
  // everything read before it has been used.
  let failure: { error: unknown } | undefined;
  let gotData = false;
  const next = async (): Promise<Buffer | string | undefined> => {
    if (failure) return undefined;
    try {
      const item = await chunks.next();
      if (item.done) return undefined;
      gotData = true;
      return item.value;
    } catch (error) {
      failure = { error };
      return undefined;
    }
  };
  try {
    const head: Buffer[] = [];
    let size = 0;
    for (let chunk = size < HEAD_BYTES ? await next() : undefined; chunk !== undefined; ) {
      head.push(toBuffer(chunk));
      size += chunk.length;
      chunk = size < HEAD_BYTES ? await next() : undefined;
    }
    const first = Buffer.concat(head);
    const input = documentInput(first, next);
    let document: DocumentFormat | undefined;
    if (forced) document = forced.kind === "document" ? forced : undefined;
    else if (gotData) document = await detectDocument(first, input);
    if (document) {
      yield* readDocument(name, document, input, options, report);
      if (failure) report.addProblem(readFailure(failure.error, name, gotData, 0, false), "source");
      return;
    }
    const lines = new LineReading(name, report, options, forced?.kind === "lines" ? forced : undefined);
    for (let chunk: Buffer | string | undefined = first; chunk !== undefined; chunk = await next()) {
      const batch = lines.push(chunk);
      if (batch) yield batch;
    }
    if (failure) {
      report.addProblem(readFailure(failure.error, name, gotData, lines.lastLine, lines.hasPartialLine), "source");
      return;
    }
    const last = lines.end();
    if (last) yield last;
  } finally {
    await chunks.return?.(undefined);
  }
}

async function* readDocument(
  name: string,
  format: DocumentFormat,
  input: DocumentInput,
  options: ReadSourceOptions,
  report: IngestReport,
): AsyncGenerator<RecordBatch> {
  report.formats.set(name, format.name);
  const sink = new BatchSink(name, report, format.late);
  try {
    for await (const _ of format.read(input, sourceContext(name, format, options), sink)) {
      const batch = sink.take();
      if (batch) yield batch;
    }
  } catch (err) {
    // The library's word on a corrupt or cut file; the bytes themselves were read (or their failure is reported apart).
    const reason = `not a readable ${format.name} file (${errorMessage(err)}); the rest of the source was skipped`;
    report.addProblem({ source: name, line: 0, reason }, "source");
  }
  const rest = sink.take();
  if (rest) yield rest;
}
