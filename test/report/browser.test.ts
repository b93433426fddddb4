/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The report in a real browser: headless Chromium (Debian's `chromium`, or
 * $CHROMIUM_PATH) driven by playwright-core. No console errors; every run's
 * plots drawn; the alarm shading, the onset and the action markers at the
 * right steps, checked against the plot's own x scale. A screenshot of the
 * built-in example's report is kept at build/report-screenshot.png.
 *
 * Without a browser the test is skipped, unless RFTFM_REQUIRE_BROWSER=1 (what
 * .ci/run sets, after installing chromium): then a missing browser fails it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportCollector } from "../../src/report/collect.js";
import { renderReportHtml } from "../../src/report/html.js";
import type { ReportData } from "../../src/report/types.js";
import type { Verdict } from "../../src/verdict/types.js";
import { root, runCli } from "../cli/run-cli.js";

/** What the page script exposes (src/report/client.js): its data and its uPlot instances by run and panel. */
interface PageGlobal {
  rftfmReport: {
    ready: boolean;
    data: ReportData;
    plots: Map<string, { over: HTMLElement; scales: { x: { min: number; max: number } }; series: unknown[] }>;
  };
}

const browserPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveBrowser = existsSync(browserPath);
const required = process.env.RFTFM_REQUIRE_BROWSER === "1";
const build = join(root, "build");

it.runIf(required && !haveBrowser)("has a browser to test the report in", () => {
  expect.fail(`RFTFM_REQUIRE_BROWSER=1 but there is no browser at ${browserPath} (apt-get install chromium)`);
});

/** A synthetic report whose marks are known: an episode at 12-15 with onset 10, actions at 13 and 20. */
function syntheticReport(): ReportData {
  const c = new ReportCollector({ maxPoints: 1000 });
  for (let step = 0; step <= 60; step++) {
    const v: Verdict = { run: "synthetic", step, anomalous: false, anomalies: [], diagnosis: [], actions: [] };
    if (step >= 12 && step <= 13) {
      v.anomalous = true;
      v.anomalies = [{ signal: "kl_ref", score: 8, direction: "up", detector: "cusum" }];
    }
    if (step >= 12 && step <= 15)
      v.diagnosis = [
        { fault: "lr_too_high", family: "optimization_dynamics", confidence: 0.8, evidence: ["kl_ref up"], onset: 10 },
      ];
    if (step === 13) v.actions = [{ kind: "scale_lr", factor: 0.5 }];
    if (step === 20) v.recommendations = [{ kind: "rollback", to_step: 9 }];
    c.observe({ run: "synthetic", step }, { kl_ref: step < 10 ? 0.01 : 0.05 * step, reward_mean: 0.5 }, v);
  }
  return c.build(() => undefined, { sources: ["synthetic"] });
}

describe.skipIf(!haveBrowser)("the report in headless Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: browserPath, args: ["--no-sandbox"] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens a page from disk (file://, as a user would) and collects its console errors. */
  async function open(html: string, name: string): Promise<{ page: Page; errors: string[] }> {
    mkdirSync(build, { recursive: true });
    const path = join(build, name);
    writeFileSync(path, html);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    // Nothing may be fetched: the page is self-contained.
    await page.route(/^(?!file:)/, (route) => {
      errors.push(`fetched ${route.request().url()}`);
      return route.abort();
    });
    await page.goto(`file://${path}`);
    await page.waitForFunction(() => (window as unknown as Partial<PageGlobal>).rftfmReport?.ready);
    return { page, errors };
  }

  /** Where the page put each marker of a run's panel, against where its x scale puts the step. */
  function markerPositions(page: Page, run: string, panel: string) {
    return page.evaluate(
      ({ run, panel }) => {
        const u = (window as unknown as PageGlobal).rftfmReport.plots.get(`${run}\u0000${panel}`)!;
        const over = u.over;
        const origin = over.getBoundingClientRect().left;
        const { min, max } = u.scales.x;
        const width = over.getBoundingClientRect().width;
        // Independent of uPlot's valToPos: the linear map of the scale onto the plotting area.
        const expected = (step: number) => ((step - min) / (max - min)) * width;
        const at = (el: Element) => el.getBoundingClientRect().left - origin;
        return {
          scale: [min, max],
          bands: [...over.querySelectorAll(".rftfm-band")].map((el) => ({
            start: Number(el.getAttribute("data-start")),
            end: Number(el.getAttribute("data-end")),
            left: at(el),
            right: el.getBoundingClientRect().right - origin,
            expectedLeft: expected(Number(el.getAttribute("data-start"))),
            expectedRight: expected(Number(el.getAttribute("data-end"))),
          })),
          onsets: [...over.querySelectorAll(".rftfm-onset")].map((el) => ({
            step: Number(el.getAttribute("data-step")),
            left: at(el),
            expected: expected(Number(el.getAttribute("data-step"))),
          })),
          actions: [...over.querySelectorAll(".rftfm-action")].map((el) => ({
            step: Number(el.getAttribute("data-step")),
            kind: el.getAttribute("data-kind"),
            left: at(el),
            expected: expected(Number(el.getAttribute("data-step"))),
          })),
        };
      },
      { run, panel },
    );
  }

  it("draws the built-in example: every run's plots, no console error, shading and markers where the data says", async () => {
    const out = join(build, "report-example.html");
    mkdirSync(build, { recursive: true });
    const r = runCli(["report", join(root, "examples/small-run.jsonl"), "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(out, "utf8");
    const { page, errors } = await open(html, "report-example.html");
    const data = (await page.evaluate(() => (window as unknown as PageGlobal).rftfmReport.data)) as ReportData;

    for (const run of data.runs) {
      const drawn = await page.$$eval(`.plot[data-run="${run.run}"]`, (plots) =>
        plots.map((p) => ({
          panel: p.getAttribute("data-panel"),
          drawn: p.getAttribute("data-drawn") === "true",
          canvas: (() => {
            const c = p.querySelector("canvas");
            return c ? c.width * c.height : 0;
          })(),
          points: Number(p.getAttribute("data-points")),
        })),
      );
      const withData = run.panels.filter((p) => p.series.length).map((p) => p.id);
      expect(drawn.filter((d) => d.drawn).map((d) => d.panel)).toEqual(withData);
      for (const d of drawn) {
        expect(d.canvas, `${run.run} ${d.panel} has a canvas`).toBeGreaterThan(0);
        expect(d.points).toBe(run.steps.count);
      }
    }

    const collapse = data.runs.find((r) => r.summary.alarm)!;
    const [episode] = collapse.episodes;
    const where = await markerPositions(page, collapse.run, "reward");
    expect(where.scale).toEqual([collapse.steps.first, collapse.steps.last]);
    expect(where.bands.map((b) => [b.start, b.end])).toEqual(collapse.episodes.map((e) => [e.start, e.end]));
    for (const b of where.bands) {
      expect(Math.abs(b.left - b.expectedLeft)).toBeLessThan(1.5);
      expect(Math.abs(b.right - b.expectedRight)).toBeLessThan(1.5);
    }
    expect(where.onsets.map((o) => o.step)).toEqual([episode.onset]);
    expect(where.actions.map((a) => [a.step, a.kind])).toEqual(collapse.marks.map((m) => [m.step, m.kind]));
    for (const m of [...where.onsets, ...where.actions]) expect(Math.abs(m.left - m.expected)).toBeLessThan(1.5);

    // The diagnosis sits beside the plot it refers to.
    const beside = await page.$eval(
      `.plot[data-run="${collapse.run}"][data-panel="${episode.panels[0]}"]`,
      (plot) => plot.closest(".panel")?.querySelector(".episode .diagnosis strong")?.textContent,
    );
    expect(beside).toBe(episode.diagnosis[0].fault);

    // The overview filters by alarm: the healthy run's row and section go.
    await page.selectOption("#filter-alarm", "alarm");
    expect(await page.$$eval("#overview tbody tr", (rows) => rows.map((r) => r.getAttribute("data-run")))).toEqual([
      collapse.run,
    ]);
    expect(await page.$eval('section.run[data-run="demo-healthy"]', (s) => (s as HTMLElement).hidden)).toBe(true);
    await page.selectOption("#filter-alarm", "");
    // Sorting by a column, twice, reverses it.
    await page.click('#overview th[data-key="steps"]');
    await page.click('#overview th[data-key="run"]');
    expect(await page.$$eval("#overview tbody tr", (rows) => rows.map((r) => r.getAttribute("data-run")))).toEqual([
      "demo-entropy-collapse",
      "demo-healthy",
    ]);
    await page.click('#overview th[data-key="run"]');
    expect(await page.$$eval("#overview tbody tr", (rows) => rows.map((r) => r.getAttribute("data-run")))).toEqual([
      "demo-healthy",
      "demo-entropy-collapse",
    ]);

    await page.screenshot({ path: join(build, "report-screenshot.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("puts a synthetic run's shading, onset and actions at their steps", async () => {
    const data = syntheticReport();
    const { page, errors } = await open(renderReportHtml(data), "report-synthetic.html");
    const where = await markerPositions(page, "synthetic", "kl");
    expect(where.scale).toEqual([0, 60]);
    expect(where.bands.map((b) => [b.start, b.end])).toEqual([[12, 15]]);
    const [band] = where.bands;
    expect(Math.abs(band.left - band.expectedLeft)).toBeLessThan(1.5);
    expect(Math.abs(band.right - band.expectedRight)).toBeLessThan(1.5);
    // Steps 12 and 15 of 0..60 on the plot's width: the band covers 3/60 of it.
    expect(band.right - band.left).toBeGreaterThan(0);
    expect(where.onsets.map((o) => o.step)).toEqual([10]);
    expect(where.actions.map((a) => [a.step, a.kind])).toEqual([
      [13, "action"],
      [20, "recommendation"],
    ]);
    for (const m of [...where.onsets, ...where.actions]) expect(Math.abs(m.left - m.expected)).toBeLessThan(1.5);
    // The element under the band's middle, at mid-height, is the band.
    const hit = await page.evaluate(() => {
      const band = document.querySelector('.plot[data-panel="kl"] .rftfm-band')!;
      const r = band.getBoundingClientRect();
      band.scrollIntoView();
      const r2 = band.getBoundingClientRect();
      return document.elementFromPoint(r2.left + r.width / 2, r2.top + r2.height / 2)?.className;
    });
    expect(hit).toContain("rftfm-band");
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("draws a downsampled long run with its envelope and says so", async () => {
    const c = new ReportCollector({ maxPoints: 200 });
    for (let step = 0; step < 20_000; step++)
      c.observe(
        { run: "long", step },
        { reward_mean: Math.sin(step / 500) + (step % 97 === 0 ? 3 : 0) },
        { run: "long", step, anomalous: false, anomalies: [], diagnosis: [], actions: [] },
      );
    const { page, errors } = await open(renderReportHtml(c.build(() => undefined)), "report-long.html");
    expect(await page.$eval('[data-notice="downsampled"]', (n) => n.textContent)).toContain("at most 200 points");
    const points = await page.$eval('.plot[data-panel="reward"]', (p) => Number(p.getAttribute("data-points")));
    expect(points).toBeLessThanOrEqual(200);
    // The line, its min and its max: three series besides the step.
    const series = await page.evaluate(
      () => (window as unknown as PageGlobal).rftfmReport.plots.get("long\u0000reward")!.series.length,
    );
    expect(series).toBe(4);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
