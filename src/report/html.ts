/**
 * The report as one self-contained HTML page: uPlot (its minified script and
 * stylesheet, read from the installed `uplot` package), the page's own script
 * (client.js beside this module, shipped with the package) and the data, all
 * inlined, so that it opens from disk with no network, in an air-gapped cluster
 * too. The data sits in a JSON script element with `<` escaped, so no text from
 * a log can end the element or run as markup.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { packageRoot } from "../backend/package-root.js";
import { encodeJson } from "../telemetry/encode.js";
import type { ReportData } from "./types.js";

export interface PageAssets {
  uplotJs: string;
  uplotCss: string;
  clientJs: string;
}

let cached: PageAssets | undefined;

/** The page's scripts and styles, read once: uPlot from node_modules, the page script from the package. */
export function pageAssets(): PageAssets {
  if (cached) return cached;
  const root = packageRoot();
  // Resolved from the package's own location, so an installed rftfm finds its (possibly hoisted) dependency.
  const require = createRequire(join(root, "package.json"));
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch (error) {
      throw new Error(`rftfm report: cannot read ${what} (${path}): ${(error as Error).message}`);
    }
  };
  cached = {
    uplotJs: read(require.resolve("uplot/dist/uPlot.iife.min.js"), "uPlot's script"),
    uplotCss: read(require.resolve("uplot/dist/uPlot.min.css"), "uPlot's stylesheet"),
    clientJs: read(join(root, "src", "report", "client.js"), "the report page's script"),
  };
  return cached;
}

/** Text safe inside a <script> or <style> element: no `</` can close it. */
function inlineSafe(text: string): string {
  return text.replace(/<\/(script|style)/gi, "<\\/$1");
}

/** JSON for a <script type="application/json"> element: every `<` escaped, non-finite numbers as strings. */
function embeddedJson(data: ReportData): string {
  return encodeJson(data)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function escapeText(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

const STYLE = `
:root { --fg: #1d232b; --muted: #5d6875; --line: #dde2e8; --alarm: #d0342c; --ok: #2a9d5c; --bg: #fafbfc; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
#app { max-width: 1400px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 0 0 6px; } h3 { font-size: 13px; margin: 0 0 4px; color: var(--muted); font-weight: 600; }
h4 { font-size: 13px; margin: 0 0 4px; }
.meta { color: var(--muted); margin: 0 0 8px; }
.notice { background: #fff6dc; border: 1px solid #f0d890; padding: 6px 10px; border-radius: 4px; }
pre { white-space: pre-wrap; font-size: 12px; }
section.overview-box, section.run { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 14px 16px; margin: 14px 0; }
.filters { display: flex; gap: 8px; align-items: center; margin-bottom: 8px; flex-wrap: wrap; }
.filters .count { color: var(--muted); }
table.overview { border-collapse: collapse; width: 100%; font-size: 13px; }
table.overview th, table.overview td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; }
table.overview th { cursor: pointer; user-select: none; background: #f3f5f8; }
table.overview th[data-sort="asc"]::after { content: " ▲"; } table.overview th[data-sort="desc"]::after { content: " ▼"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.alarm { color: var(--alarm); font-weight: 600; } td.ok { color: var(--ok); }
.badge { font-size: 12px; padding: 2px 8px; border-radius: 10px; vertical-align: middle; font-weight: 600; }
.badge.alarm { background: #fde4e2; color: var(--alarm); } .badge.ok { background: #e0f4e8; color: var(--ok); }
.actions, .lacking, .not-logged { color: var(--muted); margin: 2px 0; font-size: 13px; }
.panels { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 12px; margin-top: 10px; }
.panel { display: flex; gap: 10px; border: 1px solid var(--line); border-radius: 4px; padding: 8px; min-width: 0; }
.panel.with-notes { grid-column: 1 / -1; }
.plot-box { flex: 1 1 auto; min-width: 0; }
.panel aside.notes { flex: 0 0 360px; max-width: 40%; }
.notes.wide { margin: 8px 0; }
.episode { border-left: 3px solid var(--alarm); background: #fff7f6; padding: 6px 10px; margin-bottom: 8px; font-size: 13px; }
.episode p { margin: 2px 0; } .episode ul { margin: 2px 0; padding-left: 18px; }
.episode .also, .episode .changes, .episode .anomalies { color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
.u-over .rftfm-band { position: absolute; top: 0; height: 100%; background: rgba(208, 52, 44, 0.14); border-left: 1px solid rgba(208, 52, 44, 0.6); pointer-events: auto; }
.u-over .rftfm-onset { position: absolute; top: 0; height: 100%; border-left: 2px dashed #e07b00; width: 0; }
.u-over .rftfm-action { position: absolute; top: 0; height: 100%; width: 0; border-left: 2px solid #6b3fa0; }
.u-over .rftfm-action.recommendation { border-left-style: dotted; }
.u-over .rftfm-action::before { content: ""; position: absolute; top: -1px; left: -6px; border: 5px solid transparent; border-top: 7px solid #6b3fa0; }
.u-over .rftfm-nonfinite { position: absolute; bottom: 0; height: 8px; width: 0; border-left: 3px solid #000; }
`;

/** The page for `data`. */
export function renderReportHtml(data: ReportData, assets: PageAssets = pageAssets()): string {
  const title = data.runs.length === 1 ? `rftfm report: ${data.runs[0].run}` : `rftfm report: ${data.runs.length} runs`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="rftfm">
<title>${escapeText(title)}</title>
<style>${inlineSafe(assets.uplotCss)}</style>
<style>${STYLE}</style>
</head>
<body>
<main id="app"></main>
<noscript>This report draws its plots with JavaScript; the data is in the script element rftfm-data.</noscript>
<script type="application/json" id="rftfm-data">${embeddedJson(data)}</script>
<script>${inlineSafe(assets.uplotJs)}</script>
<script>${inlineSafe(assets.clientJs)}</script>
</body>
</html>
`;
}
