/**
 * How `scan` and `watch` read their sources: the options both take (the
 * format, the run name, the TRL completions settings), declared once.
 */
import { type Command, Option } from "commander";
import { FORMAT_NAMES, type FormatName } from "../ingest/format.js";
import { FORMATS } from "../ingest/formats/index.js";
import type { ReadTelemetryOptions } from "../ingest/index.js";
import { numberArg } from "./number-arg.js";

export interface ReadCommandOptions {
  /** Read every source as this format instead of detecting it. */
  format?: FormatName;
  /** Run name for formats that carry none. */
  run?: string;
  /** TRL completions dumps: rows per prompt group. */
  numGenerations?: number;
  /** TRL completions dumps: the reward-function columns to sum. */
  rewardColumns?: string[];
}

const positiveInteger = numberArg({ integer: true, min: 1, expected: "a positive integer" });

/** Adds the reading options to a command. */
export function addReadOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--format <name>",
        "read every source as this format instead of detecting it from its content",
      ).choices(FORMAT_NAMES),
    )
    .option(
      "--run <name>",
      "run name for formats that carry none (default: the file's path; for per-step dumps, their directory)",
    )
    .option(
      "--num-generations <n>",
      "TRL completions dumps: trajectories per prompt group (default: detected from consecutive repeated prompts)",
      positiveInteger,
    )
    .option(
      "--reward-columns <names>",
      "TRL completions dumps: comma-separated reward-function columns to sum into the reward " +
        "(default: the numeric columns between completion and advantage)",
      (text: string) =>
        text
          .split(",")
          .map((name) => name.trim())
          .filter(Boolean),
    );
}

/** The `--help` text that lists the formats. */
export function formatsHelp(): string {
  const width = Math.max(...FORMAT_NAMES.map((name) => name.length));
  const lines = FORMATS.map((format) => `  ${format.name.padEnd(width)}  ${format.title}`);
  return `\nFormats (detected from content; --format forces one; see docs/formats.md):\n${lines.join("\n")}\n`;
}

/** The reader's options from the command's. */
export function readOptions(options: ReadCommandOptions): ReadTelemetryOptions {
  const { format, run, numGenerations, rewardColumns } = options;
  return { format, run, numGenerations, rewardColumns };
}
