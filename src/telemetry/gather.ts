/**
 * Records -> per-(run, step) data: the step's metrics, its events, and one
 * trajectory tensor made of every `trajectories` block and `trajectory` row the
 * step received, in arrival order.
 *
 * Lines of a run arrive in step order (the spec), so a step is complete as soon
 * as a record of the same run with a larger step arrives, or when input ends.
 * The gatherer emits it then: memory holds at most one open step per run,
 * however long the input. A record for a step that is already complete (or
 * older than the step open) came too late; it is skipped and reported.
 */
import type { EventRecord, Problem, TelemetryRecord, TrajectoriesRecord, TrajectoryRecord } from "./records.js";
import { IngestReport } from "./report.js";

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
}

/** Where a record came from, for the problem reported if it arrives too late. */
export interface RecordOrigin {
  source: string;
  line: number;
}

/** A record with its origin, as `readRecords` yields it. */
export interface LocatedRecord extends RecordOrigin {
  record: TelemetryRecord;
}

interface OpenStep {
  run: string;
  step: number;
  time?: number;
  metrics?: Record<string, number>;
  /** Blocks and rows in arrival order; joined into one table when the step is emitted. */
  parts: Array<TrajectoriesRecord | TrajectoryRecord>;
  events: EventRecord[];
}

interface RunState {
  open?: OpenStep;
  /** Step number of the last step emitted; -1 before the first. */
  lastEmitted: number;
}

/**
 * The push form of gathering: `add` records one at a time, take the step each
 * completes, and `finish` at the end of input. For a loop over an iterable, use
 * `gatherSteps`.
 */
export class StepGatherer {
  private readonly runs = new Map<string, RunState>();
  /** Records added so far: numbers a record that came without an origin, in a problem. */
  private added = 0;

  constructor(readonly report: IngestReport = new IngestReport()) {}

  /** Steps open now (at most one per run). */
  get openSteps(): number {
    let n = 0;
    for (const state of this.runs.values()) if (state.open) n++;
    return n;
  }

  /**
   * Adds a record. Returns the step of the same run that it completed, if any
   * (a record of a run completes at most one step: the one that run had open).
   */
  add(record: TelemetryRecord, origin?: RecordOrigin): StepData | undefined {
    this.added++;
    this.report.noteRecord(record.kind, record.run);
    let state = this.runs.get(record.run);
    if (!state) this.runs.set(record.run, (state = { lastEmitted: -1 }));

    const open = state.open;
    if (open && record.step === open.step) {
      addToStep(open, record);
      return undefined;
    }
    if (record.step <= state.lastEmitted || (open && record.step < open.step)) {
      const newest = open ? open.step : state.lastEmitted;
      const where = origin ?? { source: "<records>", line: this.added };
      const problem: Problem = {
        source: where.source,
        line: where.line,
        reason:
          `step: ${record.kind} record for step ${record.step} of run "${record.run}" arrived after step ` +
          `${newest} (records of a run must arrive in step order); skipped`,
        field: "step",
      };
      this.report.addProblem(problem, "outOfOrder");
      return undefined;
    }
    const fresh: OpenStep = { run: record.run, step: record.step, parts: [], events: [] };
    addToStep(fresh, record);
    state.open = fresh;
    if (!open) return undefined;
    state.lastEmitted = open.step;
    return this.emit(open);
  }

  /** Ends the input: returns every open step (one per run, runs in order of first appearance). */
  finish(): StepData[] {
    const done: StepData[] = [];
    for (const state of this.runs.values()) {
      if (!state.open) continue;
      state.lastEmitted = state.open.step;
      done.push(this.emit(state.open));
      state.open = undefined;
    }
    return done;
  }

  private emit(open: OpenStep): StepData {
    const data: StepData = { run: open.run, step: open.step, events: open.events };
    if (open.time !== undefined) data.time = open.time;
    if (open.metrics) data.metrics = open.metrics;
    if (open.parts.length > 0) {
      const table = buildTable(open.parts);
      data.trajectories = table;
      this.report.trajectoryRows += table.rows;
      this.report.missingCells += table.missingCells;
    }
    this.report.steps++;
    return data;
  }
}

/** One data item per (run, step), per run in step order, as each step completes. */
export async function* gatherSteps(
  records: Iterable<TelemetryRecord | LocatedRecord> | AsyncIterable<TelemetryRecord | LocatedRecord>,
  report: IngestReport = new IngestReport(),
): AsyncGenerator<StepData> {
  const gatherer = new StepGatherer(report);
  for await (const item of records) {
    const done = "record" in item ? gatherer.add(item.record, item) : gatherer.add(item);
    if (done) yield done;
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
