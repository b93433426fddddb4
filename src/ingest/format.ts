/**
 * What every format adapter is: a small module that maps one log format onto
 * the canonical telemetry records (`src/telemetry/records.ts`). Adapters never
 * throw on bad input: what they cannot use goes to the sink as a problem, and
 * lines that are not telemetry at all (progress bars, warnings) are counted as
 * other output.
 *
 * Two shapes, by how the format is read:
 * - a line format is read line by line, as it is written (consoles, JSONL
 *   files, CSV), so it can be followed while it grows (`rftfm watch`);
 * - a document format needs the whole file (`trainer_state.json`, Parquet,
 *   Arrow IPC).
 */

import type { Problem, TelemetryRecord } from "../telemetry/records.js";
import type { LateRule } from "./gather.js";
import type { ProblemCause } from "./report.js";

/** The names `--format` takes, one per adapter. */
export const FORMAT_NAMES = [
  "canonical",
  "trl-console",
  "trl-state",
  "trl-completions",
  "verl-console",
  "verl-file",
  "verl-rollout",
  "swift-jsonl",
  "wandb-csv",
  "wandb-jsonl",
  "arrow",
  "parquet",
] as const;

export type FormatName = (typeof FORMAT_NAMES)[number];

/** Options that some adapters take; each is documented where it is used. */
export interface AdapterOptions {
  /** Run name for formats that carry none (default: derived from the source's path). */
  run?: string;
  /** TRL completions: rows per prompt group (default: detected from consecutive repeated prompts). */
  numGenerations?: number;
  /**
   * TRL completions: the reward-function columns to sum (default: the numeric
   * columns between `completion` and `advantage`).
   */
  rewardColumns?: readonly string[];
}

/** What an adapter knows about the source it reads. */
export interface SourceContext {
  /** The source's name in problems: the path as given, `stdin`, `<stream N>`. */
  source: string;
  /** The run name to use when the format carries none. */
  run: string;
  options: AdapterOptions;
}

/** Where an adapter puts what it read. */
export interface Sink {
  /** A record, from the given 1-based line (a row number, for tables). */
  record(record: TelemetryRecord, line: number): void;
  /** Something that could not be used; `problem.source` is filled in by the sink. */
  problem(problem: Omit<Problem, "source">, cause: ProblemCause): void;
  /** A line that is not telemetry (a progress bar, a warning, a banner): counted, not listed. */
  other(): void;
  /** `steps` step numbers were inferred rather than read (`how` says how, for the report). */
  inferred(steps: number, how: string): void;
}

/** Reads one source of a line format: one instance per source, fed its lines in order. */
export interface LineParser {
  /**
   * One non-blank line, without its line end. `unterminated` marks the last line
   * of a source that did not end with a line end: possibly cut off while written.
   */
  line(text: string, line: number, sink: Sink, unterminated: boolean): void;
  /**
   * The source has gone quiet (a live log): a parser that holds lines back
   * (to number them from what follows) gives out what it can.
   */
  idle?(sink: Sink): void;
  /** The end of the source. */
  end(sink: Sink): void;
}

interface FormatBase {
  name: FormatName;
  /** One line for `--help` and the docs. */
  title: string;
  /**
   * A record for a step its run has moved past: `skip` (the canonical contract,
   * step order) or `replace` (foreign logs, which a resumed trainer writes steps
   * into again: later record wins). Both are reported.
   */
  late: LateRule;
  /** The format writes one file per step (rollout dumps): the default run name is the directory's. */
  filePerStep?: true;
}

export interface LineFormat extends FormatBase {
  kind: "lines";
  /**
   * Detection: whether this line belongs to the format beyond reasonable doubt.
   * Only asked about lines no format earlier in the registry claimed.
   */
  claims(line: string): boolean;
  open(context: SourceContext): LineParser;
}

/** A document to read: its bytes, whole or as a stream. */
export interface DocumentInput {
  bytes(): Promise<Uint8Array>;
  /** The bytes as a stream, for readers that can go batch by batch. */
  chunks(): AsyncIterable<Uint8Array>;
}

export interface DocumentFormat extends FormatBase {
  kind: "document";
  /**
   * Detection from the first bytes of the source (up to 64 KiB, after gunzip)
   * and, when those fit, from the document itself (a Parquet file's schema).
   * Never throws: an unreadable document is not claimed.
   */
  claims(head: Uint8Array, input: DocumentInput): Promise<boolean>;
  /**
   * Reads the document into the sink. Yields after each batch it has put there,
   * so that the reader can pass the batch on before the next one is read.
   */
  read(input: DocumentInput, context: SourceContext, sink: Sink): AsyncGenerator<void>;
}

export type Format = LineFormat | DocumentFormat;
