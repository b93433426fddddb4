/**
 * The exit status `scan` and `watch` end with, for scripts (the convention of
 * `cat` and `grep`): 0 when clean; 1 when a source could not be read (a missing
 * file is a failure, always) or when a condition `--fail-on` names was found;
 * 2 on a usage error (main.ts).
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import type { IngestReport } from "../ingest/report.js";
import type { RunSummary } from "../verdict/types.js";

/**
 * What `--fail-on` can name: `alarm`, a run raised an alarm; `halt`, the monitor
 * recommends halting a run; `ingest`, the ingest report lists any problem (a
 * skipped line, a repeated step, a value that is not a number).
 */
export const FAIL_ON = ["alarm", "halt", "ingest"] as const;
export type FailOn = (typeof FAIL_ON)[number];

export interface FailOnOptions {
  failOn?: FailOn[];
  /** `--strict`: the same as `--fail-on ingest`. */
  strict?: boolean;
}

/** Parses `alarm,halt` (repeatable: `--fail-on alarm --fail-on halt`). */
export function parseFailOn(value: string, previous: FailOn[] = []): FailOn[] {
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError(`expected one or more of ${FAIL_ON.join(", ")}`);
  for (const name of names) {
    if (!(FAIL_ON as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`${name} is not one of ${FAIL_ON.join(", ")}`);
    }
  }
  return [...new Set([...previous, ...(names as FailOn[])])];
}

/** Adds `--fail-on` and its alias `--strict` to a command. */
export function addFailOnOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--fail-on <conditions>",
        `exit with status 1 when any of these is found (comma-separated: ${FAIL_ON.join(", ")}): ` +
          "alarm, a run raised an alarm; halt, the monitor recommends halting a run; ingest, the ingest report lists " +
          "any problem. A source that cannot be read (a missing file) exits 1 without it",
      ).argParser(parseFailOn),
    )
    .option("--strict", "the same as --fail-on ingest");
}

/** What `--fail-on alarm|halt` counts of the run summaries, counted as they stream by (none is held). */
export class RunTally {
  alarmed = 0;
  halted = 0;

  add(summary: RunSummary): void {
    if (summary.alarm) this.alarmed++;
    if (summary.actions.some((a) => a.kind === "halt")) this.halted++;
  }
}

/**
 * Why the command fails, one reason per condition found (empty: exit 0). A source
 * that could not be read always fails; the rest only when asked for.
 */
export function failureReasons(
  options: FailOnOptions,
  report: IngestReport,
  runs: RunTally = new RunTally(),
  /** `scan`: a source not read (to the end) fails; `watch` says so of a file that never appeared instead,
   * and counts a truncation it followed among the ingest problems. */
  sourcesFail = true,
): string[] {
  const asked = new Set<FailOn>(options.failOn ?? []);
  if (options.strict) asked.add("ingest");
  const reasons: string[] = [];
  if (sourcesFail && report.sourceErrors > 0) {
    reasons.push(`${count(report.sourceErrors, "source")} could not be read`);
  }
  const counted = sourcesFail ? report.problemCount - report.sourceErrors : report.problemCount;
  if (asked.has("ingest") && counted > 0) {
    reasons.push(`the ingest report lists ${count(report.problemCount, "problem")} (--fail-on ingest)`);
  }
  if (asked.has("alarm")) {
    const alarmed = runs.alarmed;
    if (alarmed > 0) reasons.push(`${count(alarmed, "run")} raised an alarm (--fail-on alarm)`);
  }
  if (asked.has("halt")) {
    const halted = runs.halted;
    if (halted > 0) reasons.push(`halting is recommended for ${count(halted, "run")} (--fail-on halt)`);
  }
  return reasons;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
