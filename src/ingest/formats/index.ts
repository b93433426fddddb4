/**
 * The format registry: every adapter, in detection order. Detection asks the
 * document formats about a source's first bytes, then the line formats about
 * its lines, first claim wins (the more specific formats come first: a JSON
 * line is canonical only with a `kind`, and so on).
 */

import type { DocumentFormat, Format, FormatName, LineFormat } from "../format.js";
import { arrow } from "./arrow.js";
import { canonical } from "./canonical.js";
import { parquet } from "./parquet.js";
import { swiftJsonl } from "./swift-jsonl.js";
import { trlCompletions } from "./trl-completions.js";
import { trlConsole } from "./trl-console.js";
import { trlState } from "./trl-state.js";
import { verlConsole } from "./verl-console.js";
import { verlFile } from "./verl-file.js";
import { verlRollout } from "./verl-rollout.js";
import { wandbCsv } from "./wandb-csv.js";
import { wandbJsonl } from "./wandb-jsonl.js";

/** Document formats, in detection order (TRL's completions dumps are Parquet with a schema of their own). */
export const DOCUMENT_FORMATS: readonly DocumentFormat[] = [trlCompletions, parquet, arrow, trlState];

/** Line formats, in detection order. */
export const LINE_FORMATS: readonly LineFormat[] = [
  canonical,
  verlFile,
  verlRollout,
  swiftJsonl,
  wandbJsonl,
  verlConsole,
  trlConsole,
  wandbCsv,
];

/** Every format, canonical first. */
export const FORMATS: readonly Format[] = [...LINE_FORMATS, ...DOCUMENT_FORMATS];

/** The default: what a source is read as when nothing else claims it. */
export const DEFAULT_FORMAT: LineFormat = canonical;

export function formatNamed(name: FormatName): Format {
  return FORMATS.find((format) => format.name === name)!;
}
