import { formatNumber } from "../verdict/words.js";

/** Digits a table cell shows. */
const CELL_DIGITS = 4;

/** A number in a table cell (4 significant digits); empty when the row has no value. */
export function formatCell(value: number | undefined): string {
  return value === undefined ? "" : formatNumber(value, CELL_DIGITS);
}

/** Lays out rows under a header, columns right-aligned to their widest cell. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
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
