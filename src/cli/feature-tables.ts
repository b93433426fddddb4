/**
 * The readable output of `scan --features`: per run, a table of its steps'
 * features (and one of the metrics of steps without a trajectory tensor),
 * sorted by step, a step emitted again (later record wins) replacing its row.
 *
 * Tables are laid out to their widest cell, so rows are held until printed; to
 * keep memory bounded however long the input, at most `maxHeldRows` rows are
 * held: past that, every held table is printed as a part (`run r, part 1: ...`)
 * and the run's later rows go into its next part. Nothing is dropped; `parts`
 * says how many were printed early, for the closing note.
 */
import type { Writable } from "node:stream";
import { printable } from "../telemetry/printable.js";
import { write } from "./output.js";
import { METRIC_COLUMNS, metricsRow, type ScannedStep, TRAJECTORY_HEADER, trajectoryRow } from "./steps.js";
import { renderTable } from "./table.js";

/** Rows held at most by default before the tables are printed in parts. */
export const DEFAULT_MAX_HELD_ROWS = 20_000;

/** One run's rows since its last part, by step. */
interface HeldRun {
  tensorRows: Map<number, string[]>;
  metricRows: Map<number, Record<string, number>>;
}

export class FeatureTables {
  /** Runs with rows held, in the order they first came since the last parts were printed. */
  private runs = new Map<string, HeldRun>();
  /** Per run, the parts printed so far (runs never printed early are not in it). */
  private readonly printed = new Map<string, number>();
  private held = 0;
  /** Parts printed before the end because more than `maxHeldRows` rows were held. */
  parts = 0;

  constructor(
    private readonly out: Writable,
    private readonly backend: string,
    readonly maxHeldRows = DEFAULT_MAX_HELD_ROWS,
  ) {}

  async add(result: ScannedStep): Promise<void> {
    const { data } = result;
    let run = this.runs.get(data.run);
    if (!run) {
      run = { tensorRows: new Map(), metricRows: new Map() };
      this.runs.set(data.run, run);
    }
    if (result.features) {
      if (!run.tensorRows.has(data.step)) this.held++;
      run.tensorRows.set(data.step, trajectoryRow(result));
    } else if (data.metrics) {
      if (!run.metricRows.has(data.step)) this.held++;
      run.metricRows.set(data.step, data.metrics);
    }
    if (this.held > this.maxHeldRows) await this.print(true);
  }

  /** Prints what is held: each run's table, or its last part. */
  async finish(): Promise<void> {
    await this.print(false);
  }

  private async print(early: boolean): Promise<void> {
    for (const [name, run] of this.runs) {
      const steps = new Set([...run.tensorRows.keys(), ...run.metricRows.keys()]);
      const before = this.printed.get(name) ?? 0;
      const part = early || before > 0 ? `, part ${before + 1}` : "";
      const range = part && steps.size > 0 ? `, steps ${Math.min(...steps)}..${Math.max(...steps)}` : "";
      let text = `run ${printable(name)}${part}: ${steps.size} steps${range} (backend: ${this.backend})\n`;
      if (run.tensorRows.size) text += `${tensorTable(run.tensorRows)}\n`;
      if (run.metricRows.size) text += `steps without a trajectory tensor:\n${metricsTable(run.metricRows)}\n`;
      await write(this.out, `${text}\n`);
      if (early) {
        this.printed.set(name, before + 1);
        this.parts++;
      }
    }
    if (early) {
      this.runs = new Map();
      this.held = 0;
    }
  }
}

function metricsTable(rows: HeldRun["metricRows"]): string {
  const sorted = [...rows].sort(([a], [b]) => a - b);
  const names = [...new Set(sorted.flatMap(([, metrics]) => Object.keys(metrics)))].slice(0, METRIC_COLUMNS);
  return renderTable(
    ["step", ...names.map(printable)], // names come from the input
    sorted.map(([step, metrics]) => metricsRow(step, metrics, names)),
  );
}

function tensorTable(rows: HeldRun["tensorRows"]): string {
  return renderTable(
    TRAJECTORY_HEADER,
    [...rows].sort(([a], [b]) => a - b).map(([, row]) => row),
  );
}
