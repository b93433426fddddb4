/**
 * The ingest report: what reading the telemetry found, in counts, plus the
 * problems (malformed lines, out-of-order or repeated steps, values that are
 * not numbers, unreadable sources), each with its source and line. The list of
 * problems is capped; their count is not.
 */
import { printable } from "../telemetry/printable.js";
import type { Problem, RecordKind } from "../telemetry/records.js";

/**
 * Why a problem was counted; each cause has its own counter.
 * - `malformed`: a line (or row) that could not be used at all: skipped.
 * - `outOfOrder`: a canonical record for a step its run had moved past: skipped.
 * - `source`: a source that could not be read (to the end), that a watch saw truncated (what was written
 *   before the cut since the last poll is lost), or a watched file that never appeared.
 * - `replaced`: a foreign log's step that arrived again: the later record replaced the earlier.
 * - `late`: a foreign log's step that arrived after a later step: used, emitted late.
 * - `value`: a value that is not a number (the rest of its record was used).
 */
export type ProblemCause = "malformed" | "outOfOrder" | "source" | "replaced" | "late" | "value";

export interface IngestReportOptions {
  /** Problems kept in `problems` (default 1000); later ones are counted only. */
  maxProblems?: number;
  /** Called with every problem as it happens, capped or not. */
  onProblem?: (problem: Problem, cause: ProblemCause) => void;
  /** Run names listed in `runs` (default `MAX_LISTED_RUNS`); later runs are counted only (`runsUnlisted`). */
  maxListedRuns?: number;
}

/** The plain-object form of a report, as `toJSON()` returns it. */
export interface IngestReportJSON {
  sources: number;
  lines: number;
  records: number;
  recordsByKind: Record<RecordKind, number>;
  steps: number;
  /** Run names in the order they first appeared, the first `MAX_LISTED_RUNS` of them (see `runsUnlisted`). */
  runs: string[];
  /**
   * Runs past the first `MAX_LISTED_RUNS`, not listed in `runs` (to bound memory): counted as the gatherer first
   * saw them, so a run it had forgotten (`runsForgotten`) and saw again counts again.
   */
  runsUnlisted: number;
  trajectoryRows: number;
  missingCells: number;
  malformedLines: number;
  outOfOrderRecords: number;
  sourceErrors: number;
  replacedSteps: number;
  lateSteps: number;
  unusableValues: number;
  /** Malformed lines + out-of-order records + source read failures: input left unread. */
  skipped: number;
  problemCount: number;
  problems: Problem[];
  /** Lines of foreign logs that were not telemetry (progress bars, log messages). */
  otherLines: number;
  /** Steps emitted a second time, with the records that came after their first emission. */
  revisedSteps: number;
  /** Source name -> the format it was read as. */
  formats: Record<string, string>;
  /** Steps whose numbers were inferred rather than read from the log (see `stepInference`). */
  inferredSteps: number;
  /** Source name -> how many of its steps were numbered by inference, and how. */
  stepInference: Record<string, StepInference>;
  /** Run -> metric -> steps of the run (among those with metrics) that lacked it; see `IngestReport.missingMetrics`. */
  missingMetrics: Record<string, Record<string, number>>;
  /** Metric names and runs past the coverage map's bounds: their coverage is not in `missingMetrics`. */
  coverageUntracked: { metricNames: number; runs: number };
  /**
   * Steps emitted before their run's next step came, because more runs than the gatherer holds had a
   * step open (`StepGathererOptions.maxOpenRuns`); a record for one afterwards is a `late` problem.
   */
  stepsClosedEarly: number;
  /**
   * Runs the gatherer forgot (their newest step and source) to bound memory, because more runs than it
   * remembers (`StepGathererOptions.maxRememberedRuns`) were read: a later record of one starts it afresh.
   */
  runsForgotten: number;
  /**
   * Times a watched file was rotated (renamed away, a new file under its name): the old file was read
   * to its end and the new one from its start, so nothing was lost; not a problem, said in the summary.
   */
  rotations: number;
  /**
   * Times a source's lines were let go of undecided: no line was claimed by a format within the bound
   * on what an undecided source holds (`MAX_UNDECIDED_LINES` lines or `MAX_UNDECIDED_CHARS` characters)
   * and the fallback found no format either, so they were counted as other output (`otherLines`).
   */
  undecidedReleases: number;
}

/** How a source's step numbers were inferred. */
export interface StepInference {
  steps: number;
  /** Each way used, once. */
  how: string[];
}

export const DEFAULT_MAX_PROBLEMS = 1000;

/**
 * Bounds on the coverage map (which metrics some steps lack), so that memory
 * does not grow with the number of distinct names (742 MB for 2M names):
 * metric names tracked per run, and runs tracked. Past them, the report says so.
 */
export const MAX_COVERED_METRICS = 4096;
/** Run names the report lists (`runs`); past it, runs are counted only (`runsUnlisted`). */
export const MAX_LISTED_RUNS = 100_000;
export const MAX_COVERED_RUNS = 10_000;

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
  replacedSteps = 0;
  lateSteps = 0;
  /** Values that were not numbers, left out of records that were otherwise used. */
  unusableValues = 0;
  /** Lines of foreign logs that were not telemetry (progress bars, log messages): counted, not listed. */
  otherLines = 0;
  /** Steps emitted a second time (records came for them after they were emitted); counted in `steps` too. */
  revisedSteps = 0;
  /** Source name -> the format it was read as, in the order the sources were opened. */
  readonly formats = new Map<string, string>();
  /** Steps whose numbers were inferred (a log that carries none, or whose bar came late): see `stepInference`. */
  inferredSteps = 0;
  /** Source name -> its steps numbered by inference, and how. */
  readonly stepInference = new Map<string, StepInference>();
  /** Steps emitted early to bound the runs with a step open (see `IngestReportJSON.stepsClosedEarly`). */
  stepsClosedEarly = 0;
  /** Runs forgotten to bound the runs remembered (see `IngestReportJSON.runsForgotten`). */
  runsForgotten = 0;
  /** Rotations of a watched file (see `IngestReportJSON.rotations`). */
  rotations = 0;
  /** Undecided lines let go of at the bound (see `IngestReportJSON.undecidedReleases`). */
  undecidedReleases = 0;
  private undecidedBound = "";
  /** The latest rotation, for the summary. */
  private lastRotation: Problem | undefined;
  private rememberedRunsBound = 0;
  /** The bound that closed them, for the summary. */
  private openRunsBound = 0;
  /** Every problem, counted past the cap. */
  problemCount = 0;
  /** The first `maxProblems` problems, in the order they happened. */
  readonly problems: Problem[] = [];

  readonly maxProblems: number;
  readonly maxListedRuns: number;
  private readonly onProblem: IngestReportOptions["onProblem"];
  private readonly runNames = new Set<string>();
  /** Runs past `MAX_LISTED_RUNS` (see `IngestReportJSON.runsUnlisted`). */
  runsUnlisted = 0;
  /** Per run: steps with metrics, and how many of them had each metric (bounded: MAX_COVERED_*). */
  private readonly coverage = new Map<string, { steps: number; has: Map<string, number> }>();
  /** Distinct (run, metric) names not tracked in `coverage`, as far as can be told without tracking them. */
  private untrackedNames = 0;
  private untrackedRuns = 0;
  private readonly untrackedSeen = new Set<string>();

  constructor(options: IngestReportOptions = {}) {
    this.maxProblems = Math.max(0, options.maxProblems ?? DEFAULT_MAX_PROBLEMS);
    this.onProblem = options.onProblem;
    this.maxListedRuns = Math.max(0, options.maxListedRuns ?? MAX_LISTED_RUNS);
  }

  get records(): number {
    const k = this.recordsByKind;
    return k.step + k.trajectories + k.trajectory + k.event;
  }

  /** Input left unread: malformed lines, out-of-order records, sources not read to the end. */
  get skipped(): number {
    return this.malformedLines + this.outOfOrderRecords + this.sourceErrors;
  }

  /** Run names in the order they first appeared (the first `maxListedRuns`; see `runsUnlisted`). */
  get runs(): string[] {
    return [...this.runNames];
  }

  /** Runs read: those listed, and those counted past the list. */
  get runCount(): number {
    return this.runNames.size + this.runsUnlisted;
  }

  /**
   * A record of `run`; `fresh`: the gatherer did not remember the run (new, or forgotten). Past the list's bound
   * a run is counted only, when fresh (without `fresh`, a caller that cannot tell counts none past the bound).
   */
  noteRecord(kind: RecordKind, run: string, fresh = false): void {
    this.recordsByKind[kind]++;
    if (this.runNames.size < this.maxListedRuns) this.runNames.add(run);
    else if (fresh && !this.runNames.has(run)) this.runsUnlisted++;
  }

  /** Counts the metrics of an emitted step towards its run's coverage (which metrics some steps lack). */
  noteStepMetrics(run: string, metrics: Readonly<Record<string, number>>): void {
    let c = this.coverage.get(run);
    if (!c) {
      if (this.coverage.size >= MAX_COVERED_RUNS) {
        // Counted once per run while the set of runs noticed stays small; beyond, every step counts.
        if (this.untrackedSeen.size < MAX_COVERED_RUNS && !this.untrackedSeen.has(run)) {
          this.untrackedSeen.add(run);
          this.untrackedRuns++;
        }
        return;
      }
      c = { steps: 0, has: new Map() };
      this.coverage.set(run, c);
    }
    c.steps++;
    for (const name of Object.keys(metrics)) {
      const n = c.has.get(name);
      if (n !== undefined) c.has.set(name, n + 1);
      else if (c.has.size < MAX_COVERED_METRICS) c.has.set(name, 1);
      else this.untrackedNames++;
    }
  }

  /**
   * Run -> metric -> how many of the run's steps with metrics lacked it, for the
   * metrics a run logs on at least half of its steps but not on all: a metric
   * logged on fewer (evaluation, checkpoint timings) is sparse by design.
   */
  get missingMetrics(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [run, { steps, has }] of this.coverage) {
      const missing: Record<string, number> = {};
      for (const [name, n] of has) if (n < steps && n * 2 >= steps) define(missing, name, steps - n);
      if (Object.keys(missing).length > 0) define(out, run, missing);
    }
    return out;
  }

  /**
   * A memory bound was reached (the coverage map's, the open runs' or the remembered runs'): the summary says what it left out
   * or emitted early, so a command that prints the summary only for problems prints it for this too.
   */
  get boundReached(): boolean {
    return (
      this.stepsClosedEarly > 0 ||
      this.runsForgotten > 0 ||
      this.runsUnlisted > 0 ||
      this.untrackedNames > 0 ||
      this.untrackedRuns > 0 ||
      this.undecidedReleases > 0
    );
  }

  /** A source's undecided lines reached `bound` and were let go of as other output. */
  noteUndecidedRelease(bound: string): void {
    this.undecidedReleases++;
    this.undecidedBound = bound;
  }

  /** A watched file was rotated: the old file read to its end, the new one read from its start. */
  noteRotation(at: Problem): void {
    this.rotations++;
    this.lastRotation = at;
  }

  /** A run was forgotten because more than `maxRememberedRuns` runs were read. */
  noteForgotten(maxRememberedRuns: number): void {
    this.runsForgotten++;
    this.rememberedRunsBound = maxRememberedRuns;
  }

  /** A step was emitted early because more than `maxOpenRuns` runs had a step open. */
  noteClosedEarly(maxOpenRuns: number): void {
    this.stepsClosedEarly++;
    this.openRunsBound = maxOpenRuns;
  }

  /** `steps` steps of `source` numbered by inference, as `how` says. */
  noteInferred(source: string, steps: number, how: string): void {
    this.inferredSteps += steps;
    let entry = this.stepInference.get(source);
    if (!entry) {
      entry = { steps: 0, how: [] };
      this.stepInference.set(source, entry);
    }
    entry.steps += steps;
    if (!entry.how.includes(how)) entry.how.push(how);
  }

  addProblem(problem: Problem, cause: ProblemCause): void {
    switch (cause) {
      case "malformed":
        this.malformedLines++;
        break;
      case "outOfOrder":
        this.outOfOrderRecords++;
        break;
      case "source":
        this.sourceErrors++;
        break;
      case "replaced":
        this.replacedSteps++;
        break;
      case "late":
        this.lateSteps++;
        break;
      case "value":
        this.unusableValues++;
        break;
    }
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
      `gathered ${plural(this.steps, "step")} of ${plural(this.runCount, "run")}, ` +
        `${plural(this.trajectoryRows, "trajectory row")}, ${plural(this.missingCells, "missing cell")}`,
    ];
    if (this.problemCount === 0) {
      out.push("no problems: 0 malformed lines, 0 out-of-order records, every source read to the end");
    } else {
      const found: string[] = [];
      if (this.malformedLines > 0) found.push(`skipped ${plural(this.malformedLines, "malformed line")}`);
      if (this.outOfOrderRecords > 0) found.push(`skipped ${plural(this.outOfOrderRecords, "out-of-order record")}`);
      if (this.sourceErrors > 0) {
        found.push(`${plural(this.sourceErrors, "source")} could not be read to the end`);
      }
      if (this.replacedSteps > 0) {
        found.push(`${plural(this.replacedSteps, "step")} arrived again (the later record replaced the earlier)`);
      }
      if (this.lateSteps > 0) found.push(`${plural(this.lateSteps, "step")} arrived out of order (used, emitted late)`);
      if (this.unusableValues > 0) found.push(`${plural(this.unusableValues, "value")} not a number (left out)`);
      out.push(`${found.join("; ")}:`);
      for (const p of this.problems) out.push(`  ${printable(p.source)}:${p.line}: ${printable(p.reason)}`);
      const unlisted = this.problemCount - this.problems.length;
      if (unlisted > 0) out.push(`  ... and ${unlisted} more`);
    }
    if (this.lastRotation) {
      const at = this.lastRotation;
      out.push(
        `followed ${plural(this.rotations, "rotation")}, each old file read to its end first (the latest: ${printable(at.source)}:${at.line}: ${printable(at.reason)})`,
      );
    }
    out.push(...this.foreignSummary());
    return out.join("\n");
  }

  /** What only foreign logs bring: their formats, their other output, the metrics some steps lack. */
  private foreignSummary(): string[] {
    const out: string[] = [];
    const foreign = [...this.formats].filter(([, format]) => format !== "canonical");
    if (foreign.length > 0) {
      const listed = foreign.slice(0, 10).map(([source, format]) => `${printable(source)} (${format})`);
      if (foreign.length > 10) listed.push(`... ${foreign.length - 10} more`);
      out.push(`formats: ${listed.join(", ")}`);
    }
    if (this.otherLines > 0) {
      out.push(`${plural(this.otherLines, "line")} of other output (progress bars, log messages) were not telemetry`);
    }
    if (this.undecidedReleases > 0) {
      out.push(
        `${plural(this.undecidedReleases, "time")} a source held ${this.undecidedBound} without a line any format claims: those lines were let go of as other output (the bound on an undecided source's memory)`,
      );
    }
    for (const [source, { steps, how }] of this.stepInference) {
      out.push(`${printable(source)}: ${plural(steps, "step")} numbered by inference: ${how.join("; ")}`);
    }
    for (const [run, missing] of Object.entries(this.missingMetrics)) {
      const steps = this.coverage.get(run)!.steps;
      const names = Object.entries(missing).map(([name, n]) => `${printable(name)} (${n} of ${steps})`);
      const listed = names.length > 8 ? [...names.slice(0, 8), `... ${names.length - 8} more`] : names;
      out.push(`run ${printable(run)}: metrics missing on some steps (absent there, not zero): ${listed.join(", ")}`);
    }
    if (this.stepsClosedEarly > 0) {
      out.push(
        `${plural(this.stepsClosedEarly, "step")} emitted before their run's next step came, to hold the open steps of at most ` +
          `${this.openRunsBound} runs (more runs than that were interleaved); a record that came for one later is listed above`,
      );
    }
    if (this.runsForgotten > 0) {
      out.push(
        `${plural(this.runsForgotten, "run")} forgotten (their newest step and source), to remember at most ` +
          `${this.rememberedRunsBound} runs: a later record of one started it afresh, so its step order and ` +
          `read-twice checks started over`,
      );
    }
    if (this.runsUnlisted > 0) {
      out.push(
        `${plural(this.runsUnlisted, "run")} past the first ${this.maxListedRuns} are counted, not listed ` +
          `(a run forgotten and seen again counts again)`,
      );
    }
    if (this.untrackedNames > 0 || this.untrackedRuns > 0) {
      out.push(
        `metric coverage is tracked for at most ${MAX_COVERED_METRICS} metric names per run and ${MAX_COVERED_RUNS} runs: ` +
          `${plural(this.untrackedNames, "metric value")} of names past the first ${MAX_COVERED_METRICS} and ` +
          `${plural(this.untrackedRuns, "run")} past the first ${MAX_COVERED_RUNS} are not in the missing-metrics list`,
      );
    }
    return out;
  }

  toJSON(): IngestReportJSON {
    return {
      sources: this.sources,
      lines: this.lines,
      records: this.records,
      recordsByKind: { ...this.recordsByKind },
      steps: this.steps,
      runs: this.runs,
      runsUnlisted: this.runsUnlisted,
      trajectoryRows: this.trajectoryRows,
      missingCells: this.missingCells,
      malformedLines: this.malformedLines,
      outOfOrderRecords: this.outOfOrderRecords,
      sourceErrors: this.sourceErrors,
      replacedSteps: this.replacedSteps,
      lateSteps: this.lateSteps,
      unusableValues: this.unusableValues,
      skipped: this.skipped,
      problemCount: this.problemCount,
      problems: this.problems.map((p) => ({ ...p })),
      otherLines: this.otherLines,
      revisedSteps: this.revisedSteps,
      formats: Object.fromEntries(this.formats),
      inferredSteps: this.inferredSteps,
      stepInference: Object.fromEntries(
        [...this.stepInference].map(([s, i]) => [s, { steps: i.steps, how: [...i.how] }]),
      ),
      missingMetrics: this.missingMetrics,
      coverageUntracked: { metricNames: this.untrackedNames, runs: this.untrackedRuns },
      stepsClosedEarly: this.stepsClosedEarly,
      runsForgotten: this.runsForgotten,
      rotations: this.rotations,
      undecidedReleases: this.undecidedReleases,
    };
  }
}

/** defineProperty, not assignment: run and metric names come from the input, and `__proto__` must stay a plain key. */
function define<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
