/**
 * The ingest report: what reading the telemetry found, in counts, plus the
 * problems (malformed lines, out-of-order records, unreadable sources), each
 * with its source and line. The list of problems is capped; their count is not.
 */
import type { Problem, RecordKind } from "./records.js";

/** Why a problem was counted; each cause has its own counter. */
export type ProblemCause = "malformed" | "outOfOrder" | "source";

export interface IngestReportOptions {
  /** Problems kept in `problems` (default 1000); later ones are counted only. */
  maxProblems?: number;
  /** Called with every problem as it happens, capped or not. */
  onProblem?: (problem: Problem, cause: ProblemCause) => void;
}

/** The plain-object form of a report, as `toJSON()` returns it. */
export interface IngestReportJSON {
  sources: number;
  lines: number;
  records: number;
  recordsByKind: Record<RecordKind, number>;
  steps: number;
  runs: string[];
  trajectoryRows: number;
  missingCells: number;
  malformedLines: number;
  outOfOrderRecords: number;
  sourceErrors: number;
  /** Malformed lines + out-of-order records + source read failures (= problemCount). */
  skipped: number;
  problemCount: number;
  problems: Problem[];
}

export const DEFAULT_MAX_PROBLEMS = 1000;

export class IngestReport {
  /** Sources opened (files, stdin, streams). */
  sources = 0;
  /** Non-blank lines read. */
  lines = 0;
  /** Valid records decoded, by kind (records later skipped as out of order included). */
  readonly recordsByKind: Record<RecordKind, number> = { step: 0, trajectories: 0, trajectory: 0, event: 0 };
  /** (run, step) data emitted. */
  steps = 0;
  /** Trajectory rows in the emitted steps. */
  trajectoryRows = 0;
  /** Trajectory cells that were missing (sent as null, or a column absent from some block or row): NaN. */
  missingCells = 0;
  malformedLines = 0;
  outOfOrderRecords = 0;
  sourceErrors = 0;
  /** Every problem, counted past the cap. */
  problemCount = 0;
  /** The first `maxProblems` problems, in the order they happened. */
  readonly problems: Problem[] = [];

  readonly maxProblems: number;
  private readonly onProblem: IngestReportOptions["onProblem"];
  private readonly runNames = new Set<string>();

  constructor(options: IngestReportOptions = {}) {
    this.maxProblems = Math.max(0, options.maxProblems ?? DEFAULT_MAX_PROBLEMS);
    this.onProblem = options.onProblem;
  }

  get records(): number {
    const k = this.recordsByKind;
    return k.step + k.trajectories + k.trajectory + k.event;
  }

  /**
   * Input skipped: malformed lines, out-of-order records, sources not read to the
   * end. Each problem skips one of them, so this is `problemCount`.
   */
  get skipped(): number {
    return this.problemCount;
  }

  /** Run names in the order they first appeared. */
  get runs(): string[] {
    return [...this.runNames];
  }

  noteRecord(kind: RecordKind, run: string): void {
    this.recordsByKind[kind]++;
    this.runNames.add(run);
  }

  addProblem(problem: Problem, cause: ProblemCause): void {
    if (cause === "malformed") this.malformedLines++;
    else if (cause === "outOfOrder") this.outOfOrderRecords++;
    else this.sourceErrors++;
    this.problemCount++;
    if (this.problems.length < this.maxProblems) this.problems.push(problem);
    this.onProblem?.(problem, cause);
  }

  /**
   * A human-readable account, e.g.
   * ```
   * read 1234 lines from 2 sources: 1230 records (40 step, 40 trajectories, 1146 trajectory, 4 event)
   * gathered 80 steps of 2 runs, 2560 trajectory rows, 12 missing cells
   * skipped 4 malformed lines:
   *   a.jsonl:17: not valid JSON: ...
   * ```
   */
  summary(): string {
    const k = this.recordsByKind;
    const out = [
      `read ${plural(this.lines, "line")} from ${plural(this.sources, "source")}: ` +
        `${plural(this.records, "record")} (${k.step} step, ${k.trajectories} trajectories, ` +
        `${k.trajectory} trajectory, ${k.event} event)`,
      `gathered ${plural(this.steps, "step")} of ${plural(this.runNames.size, "run")}, ` +
        `${plural(this.trajectoryRows, "trajectory row")}, ${plural(this.missingCells, "missing cell")}`,
    ];
    if (this.problemCount === 0) {
      out.push("no problems: 0 malformed lines, 0 out-of-order records, every source read to the end");
      return out.join("\n");
    }
    const found: string[] = [];
    if (this.malformedLines > 0) found.push(`skipped ${plural(this.malformedLines, "malformed line")}`);
    if (this.outOfOrderRecords > 0) found.push(`skipped ${plural(this.outOfOrderRecords, "out-of-order record")}`);
    if (this.sourceErrors > 0) {
      found.push(`${plural(this.sourceErrors, "source")} could not be read to the end`);
    }
    out.push(`${found.join("; ")}:`);
    for (const p of this.problems) out.push(`  ${p.source}:${p.line}: ${p.reason}`);
    const unlisted = this.problemCount - this.problems.length;
    if (unlisted > 0) out.push(`  ... and ${unlisted} more`);
    return out.join("\n");
  }

  toJSON(): IngestReportJSON {
    return {
      sources: this.sources,
      lines: this.lines,
      records: this.records,
      recordsByKind: { ...this.recordsByKind },
      steps: this.steps,
      runs: this.runs,
      trajectoryRows: this.trajectoryRows,
      missingCells: this.missingCells,
      malformedLines: this.malformedLines,
      outOfOrderRecords: this.outOfOrderRecords,
      sourceErrors: this.sourceErrors,
      skipped: this.skipped,
      problemCount: this.problemCount,
      problems: this.problems.map((p) => ({ ...p })),
    };
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
