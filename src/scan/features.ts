import { CANONICAL_COLUMNS, COLUMN_STATS, STEP_FEATURES } from "../backend/generated/layout.js";

export type CanonicalColumn = (typeof CANONICAL_COLUMNS)[number];
export type ColumnStat = (typeof COLUMN_STATS)[number];
export type StepFeature = (typeof STEP_FEATURES)[number];

/** Columns of a trajectory tensor that are ids, not values: they are not scanned as values. */
export const ID_COLUMNS = ["group", "prompt_id"] as const;

const canonical = new Set<string>(CANONICAL_COLUMNS);
const ids = new Set<string>(ID_COLUMNS);

/** Whether a column name is an extra value column (neither canonical nor an id). */
export function isExtraColumn(name: string): boolean {
  return !canonical.has(name) && !ids.has(name);
}

/** Name of statistic `stat` of column `column`, e.g. `reward.p90`. */
export function columnFeatureName(column: string, stat: ColumnStat): string {
  return `${column}.${stat}`;
}

/**
 * Names of the features of one output row, in kernel order: the step features,
 * then each column's statistics (`columns` = canonical columns, then extras).
 */
export function featureNames(columns: readonly string[]): string[] {
  const names: string[] = [...STEP_FEATURES];
  for (const column of columns) for (const stat of COLUMN_STATS) names.push(columnFeatureName(column, stat));
  return names;
}

/** Index of a feature within an output row. */
export function featureIndex(columnIndex: number, stat: ColumnStat): number {
  return STEP_FEATURES.length + columnIndex * COLUMN_STATS.length + COLUMN_STATS.indexOf(stat);
}
