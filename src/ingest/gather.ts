/**
 * Records -> per-(run, step) data: the step's metrics, its events, and one
 * trajectory tensor made of every `trajectories` block and `trajectory` row the
 * step received, in arrival order.
 *
 * Lines of a run arrive in step order (the spec), so a step is complete as soon
 * as a record of the same run with another step arrives, or when input ends.
 * The gatherer emits it then: memory holds at most one open step per run,
 * however long the input, and open steps of at most `maxOpenRuns` runs: when
 * more runs than that have a step open (a file of many short runs, interleaved),
 * the step of the run that received a record least recently is emitted early
 * (`takeClosedEarly`), and the report counts it. A record that comes for such a
 * step afterwards opens it again: the step is emitted a second time (marked
 * `revised`) with the records from there on, and the report says so.
 *
 * A record for a step the run has moved past (already emitted, or older than
 * the step open) is handled by its source's rule:
 * - `skip` (canonical telemetry, whose contract is step order): skipped and reported;
 * - `replace` (foreign logs, which a resumed trainer writes steps into again):
 *   the later record wins. The step is opened afresh and emitted again (marked
 *   `revised` when it had been emitted before), and the report says so.
 *
 * A live log can also be flushed when it goes quiet (`flush`): its open steps
 * are emitted at once, and a record that comes for one of them afterwards,
 * before any other step of its run, joins it again: the step is emitted a
 * second time with everything it received (marked `revised`), whatever the rule.
 */
import type {
  EventRecord,
  Problem,
  TelemetryRecord,
  TrajectoriesRecord,
  TrajectoryRecord,
} from "../telemetry/records.js";
import { IngestReport } from "./report.js";

/**
 * What to do with a record for a step its run has moved past: `skip` it, or
 * let it `replace` the step (later record wins). Both are reported.
 */
export type LateRule = "skip" | "replace";

/**
 * A step's trajectory tensor: `rows` trajectories, one array per column name
 * (canonical ones, ids such as `group` and `prompt_id`, and any other column
 * sent). A cell that was missing is NaN.
 */
export interface TrajectoryTable {
  rows: number;
  /**
   * Column name -> `rows` values. A step made of one `trajectories` block keeps
   * the arrays JSON.parse made (`number[]`); a step gathered from several blocks
   * or rows gets `Float64Array`s.
   */
  columns: Map<string, Float64Array | number[]>;
  /** Cells that were missing (sent as null, or a column absent from some block or row). */
  missingCells: number;
}

/** Everything one step of one run sent. */
export interface StepData {
  run: string;
  step: number;
  /** From the step's `step` record, when it had one with a time. */
  time?: number;
  /** From the step's `step` record(s); several records of a step are merged, later values winning. */
  metrics?: Record<string, number>;
  /** When the step sent any trajectories. */
  trajectories?: TrajectoryTable;
  /** In arrival order. */
  events: EventRecord[];
  /**
   * This (run, step) was emitted before, and this emission supersedes it: a
   * foreign log wrote the step again (later record wins), or more records came
   * for it after a live log was flushed.
   */
  revised?: true;
}

/** Where a record came from, for the problem reported if it arrives too late. */
export interface RecordOrigin {
  source: string;
  line: number;
}

/** A record with its origin, as `readRecords` yields it. */
export interface LocatedRecord extends RecordOrigin {
  record: TelemetryRecord;
  /** The rule of the record's source for a step its run has moved past (default `skip`). */
  late?: LateRule;
}

interface OpenStep {
  run: string;
  step: number;
  time?: number;
  metrics?: Record<string, number>;
  /** Blocks and rows in arrival order; joined into one table when the step is emitted. */
  parts: Array<TrajectoriesRecord | TrajectoryRecord>;
  events: EventRecord[];
  /** The step was emitted before (see `StepData.revised`). */
  revised: boolean;
  /** Where its first record came from (undefined for records without an origin). */
  source?: string;
}

interface RunState {
  /** Order of first appearance (among the runs remembered), for `flush`. */
  first: number;
  open?: OpenStep;
  /** The step emitted early to bound the open runs, while no other step of the run has come since. */
  closedEarly?: number;
  /** The largest step number seen; -1 before the first. */
  newest: number;
  /** Steps emitted, for the `replace` rule (which needs to tell a repeated step from a late one). */
  emitted?: Set<number>;
  /** The step `flush` emitted last, while no other step of the run has come since: more records reopen it. */
  flushed?: OpenStep;
  /** The source of the run's last step emitted. */
  source?: string;
}

/**
 * Runs whose open step the gatherer holds at once by default: as many as the
 * monitor of `scan` holds runs (verdicts.ts), so that a log the monitor can
 * follow whole is gathered whole.
 */
export const DEFAULT_MAX_OPEN_RUNS = 4096;

/**
 * Runs the gatherer remembers (their newest step and source, for the order and
 * read-twice checks) by default: past it, runs not given a record for a while
 * are forgotten, so memory does not grow with the number of runs.
 */
export const DEFAULT_MAX_REMEMBERED_RUNS = 65_536;

export interface StepGathererOptions {
  /** Runs with a step open at once, at most (default `DEFAULT_MAX_OPEN_RUNS`); past it, the oldest is emitted early. */
  maxOpenRuns?: number;
  /**
   * Runs remembered at most (default `DEFAULT_MAX_REMEMBERED_RUNS`; at least `2 * maxOpenRuns + 2`). The runs
   * given a record among the last half of that many runs are always remembered; a run not given one for longer
   * (with no step open) is forgotten: a later record of it starts it afresh, so its order and read-twice checks
   * start over. The report counts them (`runsForgotten`).
   */
  maxRememberedRuns?: number;
}

/**
 * The push form of gathering: `add` records one at a time, take the step each
 * completes and those `takeClosedEarly` gives, and `finish` at the end of input.
 * For a loop over an iterable, use `gatherSteps`.
 */
export class StepGatherer {
  /**
   * The runs remembered, in two generations: those given a record since the
   * last rotation, and those of the generation before (see `rotate`). Each holds
   * at most half of `maxRememberedRuns`.
   */
  private current = new Map<string, RunState>();
  private previous = new Map<string, RunState>();
  /** Runs seen so far (remembered or not): numbers their first appearance. */
  private seen = 0;
  /** The runs with a step open, least recently given a record first. */
  private readonly openRuns = new Map<string, RunState>();
  /** Steps emitted early to bound `openRuns`, not yet taken. */
  private closedEarly: StepData[] = [];
  /** Records added so far: numbers a record that came without an origin, in a problem. */
  private added = 0;
  readonly maxOpenRuns: number;
  readonly maxRememberedRuns: number;

  constructor(
    readonly report: IngestReport = new IngestReport(),
    options: StepGathererOptions = {},
  ) {
    const max = options.maxOpenRuns ?? DEFAULT_MAX_OPEN_RUNS;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxOpenRuns must be an integer >= 1, got ${max}`);
    this.maxOpenRuns = max;
    const remembered = options.maxRememberedRuns ?? Math.max(DEFAULT_MAX_REMEMBERED_RUNS, 2 * max + 2);
    if (!Number.isInteger(remembered) || remembered < 2 * max + 2)
      throw new RangeError(
        `maxRememberedRuns must be an integer >= 2 * maxOpenRuns + 2 (${2 * max + 2}), got ${remembered}`,
      );
    this.maxRememberedRuns = remembered;
  }

  /** Runs remembered now (at most `maxRememberedRuns`). */
  get rememberedRuns(): number {
    return this.current.size + this.previous.size;
  }

  /** Steps open now (at most one per run, and at most `maxOpenRuns`). */
  get openSteps(): number {
    return this.openRuns.size;
  }

  /**
   * The steps emitted early since the last call, because more than `maxOpenRuns`
   * runs had a step open (at most one per `add`): take them after each `add`.
   * `flush` and `finish` return any not taken.
   */
  takeClosedEarly(): readonly StepData[] {
    if (this.closedEarly.length === 0) return NONE;
    const taken = this.closedEarly;
    this.closedEarly = [];
    return taken;
  }

  /** Marks the run's open step as the one most recently given a record. */
  private touch(run: string, state: RunState): void {
    this.openRuns.delete(run);
    this.openRuns.set(run, state);
  }

  /** The run's state, from either generation (moved to the current one), or a fresh one for a run not remembered. */
  private stateOf(run: string): RunState {
    let state = this.current.get(run);
    if (state) return state;
    state = this.previous.get(run);
    if (state) this.previous.delete(run);
    else state = { first: this.seen++, newest: -1 };
    this.current.set(run, state);
    if (this.current.size >= this.maxRememberedRuns / 2) this.rotate();
    return state;
  }

  /**
   * The current generation becomes the previous one, and the runs of the old
   * previous one not given a record since are forgotten, except those with a
   * step open (at most `maxOpenRuns`, fewer than half the runs remembered):
   * they stay, in the new current generation.
   */
  private rotate(): void {
    const old = this.previous;
    this.previous = this.current;
    this.current = new Map();
    for (const [run, state] of old) {
      if (state.open) this.current.set(run, state);
      else this.report.noteForgotten(this.maxRememberedRuns);
    }
  }

  /** Emits the open steps of the runs least recently given a record, until at most `maxOpenRuns` remain. */
  private bound(): void {
    while (this.openRuns.size > this.maxOpenRuns) {
      const [run, state] = this.openRuns.entries().next().value as [string, RunState];
      this.openRuns.delete(run);
      const open = state.open!;
      state.open = undefined;
      state.closedEarly = open.step;
      this.report.noteClosedEarly(this.maxOpenRuns);
      this.closedEarly.push(this.emit(state, open));
    }
  }

  /**
   * Adds a record, handling a record for a step the run has moved past by
   * `late` (see the module comment). Returns the step of the same run that it
   * completed, if any (a record of a run completes at most one step: the one
   * that run had open).
   */
  add(record: TelemetryRecord, origin?: RecordOrigin, late: LateRule = "skip"): StepData | undefined {
    this.added++;
    const seen = this.seen;
    const state = this.stateOf(record.run);
    // A run the gatherer does not remember (new, or forgotten) got a fresh state: the report counts it past its list.
    this.report.noteRecord(record.kind, record.run, this.seen > seen);
    if (late === "replace") state.emitted ??= new Set();

    // A record from another source than the run's last one, for a step the run has already had: the
    // same run read twice (`run.jsonl` and `run.jsonl.gz`), not more of the step. Reported, never merged.
    const open = state.open;
    const previousSource = open?.source ?? state.source;
    const again = origin !== undefined && previousSource !== undefined && origin.source !== previousSource;
    if (open && record.step === open.step && !again) {
      addToStep(open, record);
      this.touch(record.run, state);
      return undefined;
    }
    const flushed = state.flushed;
    state.flushed = undefined;
    if (!open && flushed && record.step === flushed.step) {
      state.open = reopen(flushed);
      addToStep(state.open, record);
      this.touch(record.run, state);
      this.bound();
      return undefined;
    }
    const closedEarly = state.closedEarly;
    state.closedEarly = undefined;
    if (!open && closedEarly === record.step && !again) {
      // Its earlier records were emitted (and let go of) to bound memory: these come as a revision.
      const where = origin ?? { source: "<records>", line: this.added };
      const reason =
        `step: ${record.kind} record for step ${record.step} of run "${record.run}" arrived after the step was ` +
        `emitted early (more than ${this.maxOpenRuns} runs had a step open); emitted again (revised) with the records from here on`;
      this.report.addProblem(problemAt(where, reason), "late");
      const fresh: OpenStep = { run: record.run, step: record.step, parts: [], events: [], revised: true };
      if (origin) fresh.source = origin.source;
      addToStep(fresh, record);
      state.open = fresh;
      this.touch(record.run, state);
      this.bound();
      return undefined;
    }

    let revised = false;
    if (record.step <= state.newest) {
      const where = origin ?? { source: "<records>", line: this.added };
      const newest = state.newest;
      const twice = again
        ? ` (run "${record.run}" came from ${previousSource} until now: the same run read twice?)`
        : " (records of a run must arrive in step order)";
      if (late === "skip") {
        this.report.addProblem(
          problemAt(
            where,
            `step: ${record.kind} record for step ${record.step} of run "${record.run}" arrived after step ` +
              `${newest}${twice}; skipped`,
          ),
          "outOfOrder",
        );
        return undefined;
      }
      if (open && record.step === open.step) {
        // Another source's copy of the open step: the later record wins, as for any repeated step.
        const reason = `step: step ${record.step} of run "${record.run}" arrived again${twice}; the later record replaces the earlier one (later record wins)`;
        this.report.addProblem(problemAt(where, reason), "replaced");
        const fresh: OpenStep = { run: record.run, step: record.step, parts: [], events: [], revised: open.revised };
        fresh.source = origin?.source;
        addToStep(fresh, record);
        state.open = fresh;
        this.touch(record.run, state);
        return undefined;
      }
      revised = state.emitted?.has(record.step) ?? false;
      const reason = revised
        ? `step: step ${record.step} of run "${record.run}" arrived again after step ${newest}; ` +
          `the later record replaces the earlier one (later record wins)`
        : `step: step ${record.step} of run "${record.run}" arrived after step ${newest}; used, emitted late`;
      this.report.addProblem(problemAt(where, reason), revised ? "replaced" : "late");
    }
    state.newest = Math.max(state.newest, record.step);
    const fresh: OpenStep = { run: record.run, step: record.step, parts: [], events: [], revised };
    if (origin) fresh.source = origin.source;
    addToStep(fresh, record);
    state.open = fresh;
    this.touch(record.run, state);
    if (open) return this.emit(state, open);
    this.bound();
    return undefined;
  }

  /**
   * Emits every open step now (one per run, runs in order of first appearance),
   * for a live log that has gone quiet. More records for such a step, before
   * any other step of its run, reopen it (see the module comment).
   */
  flush(): StepData[] {
    const done: StepData[] = [...this.takeClosedEarly()];
    const open = [...this.openRuns.values()].sort((a, b) => a.first - b.first);
    this.openRuns.clear();
    for (const state of open) {
      const step = state.open!;
      state.open = undefined;
      state.flushed = step;
      done.push(this.emit(state, step));
    }
    return done;
  }

  /** Ends the input: returns every open step (one per run, runs in order of first appearance). */
  finish(): StepData[] {
    const done = this.flush();
    for (const state of [...this.previous.values(), ...this.current.values()]) {
      state.flushed = undefined;
      state.closedEarly = undefined;
    }
    return done;
  }

  private emit(state: RunState, open: OpenStep): StepData {
    state.source = open.source;
    const data: StepData = { run: open.run, step: open.step, events: open.events };
    if (open.time !== undefined) data.time = open.time;
    if (open.metrics) data.metrics = open.metrics;
    if (open.parts.length > 0) {
      const table = buildTable(open.parts);
      data.trajectories = table;
      this.report.trajectoryRows += table.rows;
      this.report.missingCells += table.missingCells;
    }
    if (open.revised) {
      data.revised = true;
      this.report.revisedSteps++;
    } else if (open.metrics) {
      this.report.noteStepMetrics(open.run, open.metrics);
    }
    state.emitted?.add(open.step);
    this.report.steps++;
    return data;
  }
}

const NONE: readonly StepData[] = [];

function problemAt(where: RecordOrigin, reason: string): Problem {
  return { source: where.source, line: where.line, reason, field: "step" };
}

/**
 * A flushed step, open again to take more records: a copy, so that the data
 * already emitted for it does not change under its consumer.
 */
function reopen(step: OpenStep): OpenStep {
  const again: OpenStep = { ...step, parts: [...step.parts], events: [...step.events], revised: true };
  if (step.metrics) again.metrics = { ...step.metrics };
  return again;
}

/** One data item per (run, step), per run in step order, as each step completes. */
export async function* gatherSteps(
  records: Iterable<TelemetryRecord | LocatedRecord> | AsyncIterable<TelemetryRecord | LocatedRecord>,
  report: IngestReport = new IngestReport(),
  options: StepGathererOptions = {},
): AsyncGenerator<StepData> {
  const gatherer = new StepGatherer(report, options);
  for await (const item of records) {
    const done = "record" in item ? gatherer.add(item.record, item, item.late) : gatherer.add(item);
    if (done) yield done;
    yield* gatherer.takeClosedEarly();
  }
  yield* gatherer.finish();
}

function addToStep(open: OpenStep, record: TelemetryRecord): void {
  switch (record.kind) {
    case "step":
      if (open.time === undefined && record.time !== undefined) open.time = record.time;
      // Spread, not Object.assign: it copies a "__proto__" key of parsed JSON as a plain key.
      open.metrics = open.metrics ? { ...open.metrics, ...record.metrics } : record.metrics;
      break;
    case "trajectories":
    case "trajectory":
      open.parts.push(record);
      break;
    case "event":
      open.events.push(record);
      break;
  }
}

/** Joins a step's blocks and rows into one table; a column a part lacks is NaN over its rows. */
function buildTable(parts: Array<TrajectoriesRecord | TrajectoryRecord>): TrajectoryTable {
  // The common case, one block per step: keep the parsed arrays, copy nothing.
  if (parts.length === 1 && parts[0].kind === "trajectories") {
    const block = parts[0];
    return { rows: block.rows, columns: new Map(Object.entries(block.columns)), missingCells: block.missingCells ?? 0 };
  }

  let rows = 0;
  const names = new Set<string>(); // first-seen order
  for (const part of parts) {
    if (part.kind === "trajectories") {
      rows += part.rows;
      for (const name in part.columns) names.add(name);
    } else {
      rows++;
      for (const name in part.values) names.add(name);
    }
  }
  const columns = new Map<string, Float64Array>();
  for (const name of names) columns.set(name, new Float64Array(rows).fill(NaN));

  let offset = 0;
  let filled = 0;
  let sentAsNull = 0;
  for (const part of parts) {
    if (part.kind === "trajectories") {
      for (const name in part.columns) {
        // Decoded blocks have `rows` cells per column; a hand-made record may not, and must not throw here.
        const cells = part.columns[name];
        const n = Math.min(part.rows, cells.length);
        const into = columns.get(name)!;
        for (let i = 0; i < n; i++) into[offset + i] = cells[i];
        filled += n;
      }
      sentAsNull += part.missingCells ?? 0;
      offset += part.rows;
    } else {
      for (const name in part.values) {
        columns.get(name)![offset] = part.values[name];
        filled++;
      }
      offset++;
    }
  }
  return { rows, columns, missingCells: rows * names.size - filled + sentAsNull };
}
