/**
 * The run report: what the monitor saw and said, per run, as data (collect.ts,
 * types.ts) and as one self-contained HTML page (html.ts). docs/report.md.
 */
import { renameSync, writeFileSync } from "node:fs";
import { encodeJson } from "../telemetry/encode.js";
import { renderReportHtml } from "./html.js";
import type { ReportData } from "./types.js";

export { type CollectedStep, type CollectOptions, DEFAULT_MAX_POINTS, ReportCollector } from "./collect.js";
export { type CurvePoints, Envelope } from "./envelope.js";
export { type PageAssets, pageAssets, renderReportHtml } from "./html.js";
export { HEADLINE_PANELS, HEADLINE_SIGNALS, type PanelSpec } from "./panels.js";
export * from "./types.js";

/** The report's JSON (`rftfm report --json`): non-finite numbers as the strings "NaN", "Infinity", "-Infinity". */
export function reportJson(data: ReportData): string {
  return `${encodeJson(data)}\n`;
}

/**
 * Writes the report to `path` as HTML (or JSON), through a temporary file
 * renamed over it, so that a page open in a browser (or a reader of the file)
 * never sees half a report while `watch` rewrites it.
 */
export function writeReport(path: string, data: ReportData, format: "html" | "json" = "html"): void {
  const text = format === "html" ? renderReportHtml(data) : reportJson(data);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
