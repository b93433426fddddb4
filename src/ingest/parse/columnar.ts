/**
 * The canonical telemetry as tables (docs/spec/telemetry.md, "Columnar
 * files"), for bulk scanning: a `steps` table (run, step, optional time, one
 * column per metric, one row per step) or a `trajectories` table (run, step,
 * one column per trajectory column, one row per trajectory; the rows of a step
 * are consecutive). Shared by the Arrow IPC and Parquet adapters.
 *
 * Which table a file holds: its schema metadata key `rftfm:table` (`steps` or
 * `trajectories`) when present, else `trajectories` when it has a canonical
 * trajectory column that is not also a metric name (`group`, `reward`,
 * `length`, ...), else `steps`. A missing `run` column means the default run.
 * Names are the contract's, so they are not mapped through the name table.
 */
import { CANONICAL_METRICS, CANONICAL_TRAJECTORY_COLUMNS, type TrajectoriesRecord } from "../../telemetry/records.js";
import type { Sink, SourceContext } from "../format.js";
import { type ColumnBatch, isNumericColumn } from "./columns.js";
import { MetricReader, readStep, stepRecord } from "./metrics.js";
import { readNumber, setKey } from "./values.js";

export type TableKind = "steps" | "trajectories";

/** A row's run and step (undefined: the row has none). */
type RowRun = (row: number) => string;
type RowStep = (row: number) => number | undefined;

/** The schema metadata key that says which table a file holds. */
export const TABLE_KEY = "rftfm:table";

const METRIC_SET: ReadonlySet<string> = new Set(CANONICAL_METRICS);
const TRAJECTORY_ONLY = CANONICAL_TRAJECTORY_COLUMNS.filter((name) => !METRIC_SET.has(name));
const ID_COLUMNS = new Set(["run", "step", "time"]);

export function tableKind(names: readonly string[], declared: string | undefined): TableKind {
  if (declared === "steps" || declared === "trajectories") return declared;
  return names.some((name) => (TRAJECTORY_ONLY as readonly string[]).includes(name)) ? "trajectories" : "steps";
}

/** Maps the batches of one canonical table onto records; one instance per file. */
export class CanonicalTable {
  private readonly metrics = new MetricReader(ID_COLUMNS, false);
  /** Columns already reported for a cell that is not a number. */
  private readonly reported = new Set<string>();
  /** Rows read so far: a row's number in problems is its 1-based position in the file. */
  private rowsBefore = 0;

  constructor(
    private readonly kind: TableKind,
    private readonly context: SourceContext,
    private readonly sink: Sink,
  ) {}

  add(batch: ColumnBatch): void {
    const runColumn = batch.names.indexOf("run");
    const stepColumn = batch.names.indexOf("step");
    const run = (row: number): string => {
      const cell = runColumn === -1 ? null : batch.value(runColumn, row);
      return cell === null || cell === undefined || cell === "" ? this.context.run : String(cell);
    };
    const step = (row: number) => (stepColumn === -1 ? undefined : readStep(batch.value(stepColumn, row)));
    if (this.kind === "steps") this.addSteps(batch, run, step);
    else this.addTrajectories(batch, run, step);
    this.rowsBefore += batch.rows;
  }

  private noStep(row: number): void {
    const reason = "step: missing or not a non-negative integer";
    this.sink.problem({ line: this.rowsBefore + row + 1, reason, field: "step" }, "malformed");
  }

  private addSteps(batch: ColumnBatch, run: RowRun, step: RowStep): void {
    const timeColumn = batch.names.indexOf("time");
    for (let row = 0; row < batch.rows; row++) {
      const at = step(row);
      if (at === undefined) {
        this.noStep(row);
        continue;
      }
      const raw: Record<string, unknown> = {};
      batch.names.forEach((name, column) => {
        setKey(raw, name, batch.value(column, row));
      });
      const time = timeColumn === -1 ? null : readNumber(batch.value(timeColumn, row));
      const line = this.rowsBefore + row + 1;
      this.sink.record(stepRecord(run(row), at, this.metrics.read(raw, line, this.sink), time ?? undefined), line);
    }
  }

  /** Consecutive rows of one (run, step) become one `trajectories` block. */
  private addTrajectories(batch: ColumnBatch, run: RowRun, step: RowStep): void {
    const columns = batch.names
      .map((name, index) => ({ name, index }))
      .filter(({ name, index }) => !ID_COLUMNS.has(name) && isNumericColumn(batch, index));
    let start = 0;
    while (start < batch.rows) {
      const at = step(start);
      if (at === undefined) {
        this.noStep(start);
        start++;
        continue;
      }
      const name = run(start);
      let end = start + 1;
      while (end < batch.rows && step(end) === at && run(end) === name) end++;
      this.sink.record(this.block(batch, columns, name, at, start, end), this.rowsBefore + start + 1);
      start = end;
    }
  }

  private block(
    batch: ColumnBatch,
    columns: ReadonlyArray<{ name: string; index: number }>,
    run: string,
    step: number,
    start: number,
    end: number,
  ): TrajectoriesRecord {
    const record: TrajectoriesRecord = { kind: "trajectories", run, step, rows: end - start, columns: {} };
    let missing = 0;
    for (const { name, index } of columns) {
      const cells = new Array<number>(end - start);
      for (let row = start; row < end; row++) {
        const value = readNumber(batch.value(index, row));
        if (typeof value === "number") {
          cells[row - start] = value;
          continue;
        }
        cells[row - start] = NaN;
        if (value === null) missing++;
        else if (!this.reported.has(name)) {
          this.reported.add(name);
          const reason = `columns.${name}: a cell is not a number; read as NaN (reported once per column)`;
          this.sink.problem({ line: this.rowsBefore + row + 1, reason, field: `columns.${name}` }, "value");
        }
      }
      setKey(record.columns, name, cells);
    }
    if (missing > 0) record.missingCells = missing;
    return record;
  }
}
