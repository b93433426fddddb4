import { formatNumber } from "../verdict/words.js";

/** Digits a table cell shows. */
const CELL_DIGITS = 4;

/** Counts (steps, tokens, rows) below this are shown whole in a table, where there is room for them. */
const WHOLE_BELOW = 1e7;

/** A number in a table cell (4 significant digits, counts whole); empty when the row has no value. */
export function formatCell(value: number | undefined): string {
  if (value === undefined) return "";
  return Number.isInteger(value) && Math.abs(value) < WHOLE_BELOW ? String(value) : formatNumber(value, CELL_DIGITS);
}

/** Lays out rows under a header, columns right-aligned to their widest cell. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  // A loop, not Math.max(...cells): spreading 200k rows overflowed the stack (scan --features of a long run).
  const widths = header.map((h) => h.length);
  for (const row of rows)
    for (let c = 0; c < widths.length; c++) widths[c] = Math.max(widths[c], (row[c] ?? "").length);
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => cell.padStart(widths[c]))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/**
 * One row of a table printed as it goes (the widths cannot wait for the
 * whole table): each cell right-aligned to its column's width, longer cells
 * pushing the rest right.
 */
export function renderRow(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, c) => cell.padStart(widths[c] ?? 0))
    .join("  ")
    .trimEnd();
}

/** Column widths for a table printed row by row: its header's, and at least `min`. */
export function streamWidths(header: readonly string[], min: number): number[] {
  return header.map((h) => Math.max(h.length, min));
}
