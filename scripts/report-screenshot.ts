/**
 * The README's picture of a report: `rftfm report examples/small-run.jsonl`,
 * opened in headless Chromium (Debian's chromium, or $CHROMIUM_PATH), with the
 * overview filtered to the run that raised an alarm, saved as
 * docs/img/report.png. `npm run docs:screenshot`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const root = join(import.meta.dirname, "..");
const html = join(mkdtempSync(join(tmpdir(), "rftfm-screenshot-")), "report.html");
execFileSync(
  process.execPath,
  ["--import", "tsx", join(root, "src/cli/main.ts"), "report", "examples/small-run.jsonl", "--out", html],
  { cwd: root, stdio: "inherit" },
);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(`file://${html}`);
  await page.waitForFunction(() => (globalThis as { rftfmReport?: { ready: boolean } }).rftfmReport?.ready);
  await page.selectOption("#filter-alarm", "alarm");
  const out = join(root, "docs/img/report.png");
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
