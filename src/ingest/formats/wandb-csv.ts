/**
 * W&B CSV exports, one row per step with a header row: the API's
 * `run.history().to_csv()` (`_step`, `_runtime`, `_timestamp`, metric columns,
 * and pandas' unnamed index column), and a panel's "Export CSV" (`Step`, then
 * `<run name> - <metric>` columns, with `__MIN` / `__MAX` companions), which may
 * hold several runs side by side. Empty cells are metrics not logged at that
 * step. Rows are parsed with csv-parse, one line at a time (so the file can be
 * followed while it grows): a quoted cell cannot span lines.
 */
import { parse } from "csv-parse/sync";
import type { LineFormat, Sink } from "../format.js";
import { CUT_OFF, MetricReader, readStep, stepRecord } from "../parse/metrics.js";
import { errorMessage, readNumberText, setKey } from "../parse/values.js";
import { BOOKKEEPING, STEP_COLUMNS, stepColumn, TIME_COLUMN } from "../parse/wandb-steps.js";

/**
 * A panel export's column, `<run name> - <metric>`: split at the first ` - `,
 * with text on both sides (by indexOf, not a backtracking regex).
 */
function panelColumn(name: string): [run: string, metric: string] | undefined {
  const at = name.indexOf(" - ", 1);
  return at === -1 || at + 3 >= name.length ? undefined : [name.slice(0, at), name.slice(at + 3)];
}

function cells(line: string): string[] | { error: string } {
  try {
    const rows = parse(line, { relax_column_count: true }) as string[][];
    return rows[0] ?? [];
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

/** Where a column's values go: a metric of a run, or nowhere (the step, bookkeeping, pandas' index). */
type ColumnUse = { run: string; metric: string } | undefined;

export const wandbCsv: LineFormat = {
  name: "wandb-csv",
  kind: "lines",
  title: "W&B CSV export (one row per step: _step or Step, metric columns; panel exports with several runs)",
  late: "replace",
  claims(line) {
    // Cheap checks first: detection asks about every line of a log until one is claimed.
    if (!line.includes(",") || line.trimStart()[0] === "{" || !STEP_COLUMNS.some((name) => line.includes(name))) {
      return false;
    }
    const header = cells(line);
    // A header: two or more names, one of them a step column, none of them a number.
    return (
      Array.isArray(header) &&
      header.length >= 2 &&
      stepColumn(header) !== undefined &&
      !header.some((name) => typeof readNumberText(name) === "number")
    );
  },
  open(context) {
    const metrics = new MetricReader();
    let header: string[] | undefined;
    let uses: ColumnUse[] = [];
    let step = -1;
    let time = -1;

    return {
      line(text: string, line: number, sink: Sink, unterminated: boolean) {
        // A cut row still parses, as a row with a cut last cell: skip it rather than guess.
        if (unterminated && header) {
          sink.problem({ line, reason: `incomplete row${CUT_OFF}; skipped` }, "malformed");
          return;
        }
        const row = cells(text);
        if (!Array.isArray(row)) {
          sink.problem({ line, reason: `not a CSV row: ${row.error}` }, "malformed");
          return;
        }
        if (!header) {
          header = row;
          step = header.indexOf(stepColumn(header) ?? "");
          time = header.indexOf(TIME_COLUMN);
          const ignored = new Set([...BOOKKEEPING, ...STEP_COLUMNS, ""]);
          const names = header.filter((name) => !ignored.has(name));
          const panel = names.length > 0 && names.every((name) => panelColumn(name) !== undefined);
          uses = header.map((name): ColumnUse => {
            if (ignored.has(name)) return undefined;
            const split = panel ? panelColumn(name) : undefined;
            return split ? { run: split[0], metric: split[1] } : { run: context.run, metric: name };
          });
          return;
        }
        if (row.length !== header.length) {
          sink.problem({ line, reason: `has ${row.length} cells, the header ${header.length}` }, "malformed");
          return;
        }
        const at = step === -1 ? undefined : readStep(row[step]);
        if (at === undefined) {
          const reason =
            step === -1
              ? `no step column in the header (one of ${STEP_COLUMNS.join(", ")})`
              : `${header[step]}: ${JSON.stringify(row[step])} is not a step number`;
          sink.problem({ line, reason, field: header[step] }, "malformed");
          return;
        }
        const byRun = new Map<string, Record<string, string>>();
        uses.forEach((use, i) => {
          if (!use) return;
          let raw = byRun.get(use.run);
          if (!raw) {
            raw = {};
            byRun.set(use.run, raw);
          }
          setKey(raw, use.metric, row[i]);
        });
        const seconds = time === -1 ? undefined : (readNumberText(row[time]) ?? undefined);
        for (const [run, raw] of byRun) {
          const values = metrics.read(raw, line, sink);
          // A panel export has a column per run: a run with no value in this row did not log at this step.
          if (byRun.size > 1 && Object.keys(values).length === 0) continue;
          sink.record(stepRecord(run, at, values, seconds), line);
        }
      },
      end() {},
    };
  },
};
