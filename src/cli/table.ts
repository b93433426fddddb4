/** Formats a number for a terminal table: 4 significant digits, non-finite spelled out. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined) return "";
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Inf" : "-Inf";
  if (Number.isInteger(value) && Math.abs(value) < 1e7) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
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
