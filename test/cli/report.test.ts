import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AlertEvent } from "../../src/alert/events.js";
import { preferenceFromEnv, selectKernels } from "../../src/backend/load.js";
import { runScan } from "../../src/cli/scan.js";
import { runWatch } from "../../src/cli/watch.js";
import type { ReportData } from "../../src/report/types.js";
import { webhookServer } from "../alert/server.js";
import { capture } from "./capture.js";
import { jsonLines, root, runCli } from "./run-cli.js";

const kernels = selectKernels({ prefer: preferenceFromEnv() });
const dir = mkdtempSync(join(tmpdir(), "rftfm-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const example = join(root, "examples/small-run.jsonl");

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The data a report page embeds. */
function embedded(html: string): ReportData {
  const match = html.match(/<script type="application\/json" id="rftfm-data">(.*?)<\/script>/s);
  expect(match, "the page embeds its data").not.toBeNull();
  return JSON.parse(match![1]);
}

describe("rftfm report", () => {
  it("writes one self-contained page: uPlot, the page script and the data inlined, nothing fetched", () => {
    const out = join(dir, "example.html");
    const r = runCli(["report", example, "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^report: .*example\.html \(2 runs, 1 with an alarm\)$/m);
    const html = readFileSync(out, "utf8");
    // No external script, stylesheet, image or font: every src/href is a fragment, and there is no <link>.
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\bsrc\s*=/i);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
    expect(html).toContain("uPlot");
    const data = embedded(html);
    expect(data.runs.map((run) => run.run)).toEqual(["demo-healthy", "demo-entropy-collapse"]);
    const collapse = data.runs[1];
    expect(collapse.episodes[0].start).toBe(collapse.summary.first_alarm_step);
  });

  it("--json gives the same data, with the monitor's summaries as scan --json prints them", () => {
    const r = runCli(["report", example, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout) as ReportData;
    expect(data).toMatchObject({ kind: "rftfm_report", version: 1, max_points: 1000, downsampled: false });
    const scan = jsonLines(runCli(["scan", example, "--json"]).stdout);
    expect(data.runs.map((run) => run.summary)).toEqual(scan);
    const healthy = data.runs[0];
    expect(healthy.episodes).toEqual([]);
    expect(healthy.panels.map((p) => p.id)).toEqual([
      "reward",
      "correct",
      "kl",
      "entropy",
      "grad_norm",
      "length",
      "clip_frac",
      "tool_errors",
    ]);
    expect(healthy.panels[0].series.map((s) => s.signal)).toEqual(["reward_mean", "reward.mean"]);
    expect(healthy.panels[0].series[0].steps).toHaveLength(40);
  });

  it("says where the report goes when told nowhere", () => {
    const r = runCli(["report", example]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--out FILE.html");
  });

  it("--max-points downsamples and the page says so", () => {
    const out = join(dir, "small.html");
    const r = runCli(["report", example, "--out", out, "--max-points", "8"]);
    expect(r.stdout).toContain("curves downsampled to at most 8 points");
    const data = embedded(readFileSync(out, "utf8"));
    expect(data.downsampled).toBe(true);
    for (const run of data.runs)
      for (const panel of run.panels) for (const s of panel.series) expect(s.steps.length).toBeLessThanOrEqual(8);
    expect(runCli(["report", example, "--json", "--max-points", "1"]).stderr).toContain("2 or more");
  });

  it("watch --report writes the report of what it watched", async () => {
    const out = join(dir, "live.html");
    const stdout = capture();
    const status = await runWatch(
      kernels,
      example,
      { once: true, report: out, json: true },
      { out: stdout.stream, err: capture().stream },
    );
    expect(status).toBe(0);
    const data = embedded(readFileSync(out, "utf8"));
    expect(data.runs.map((r) => [r.run, r.steps.count])).toEqual([
      ["demo-healthy", 40],
      ["demo-entropy-collapse", 40],
    ]);
    expect(data.ingest).toContain("read 168 lines");
  });

  it("watch --report rewrites the report while the run goes on, before the watch ends", async () => {
    const log = join(dir, "growing.jsonl");
    const lines = readFileSync(example, "utf8").split("\n").filter(Boolean);
    writeFileSync(log, `${lines.slice(0, 40).join("\n")}\n`);
    const out = join(dir, "growing.html");
    const stop = new AbortController();
    const done = runWatch(
      kernels,
      log,
      { report: out, reportEvery: 0.05, json: true, poll: 20, settle: 0.1 },
      { out: capture().stream, err: capture().stream },
      stop.signal,
    );
    const steps = () => {
      if (!existsSync(out)) return 0;
      return embedded(readFileSync(out, "utf8")).runs.reduce((n, r) => n + r.steps.count, 0);
    };
    try {
      await until(() => steps() > 0, "a first report");
      const first = steps();
      appendFileSync(log, `${lines.slice(40).join("\n")}\n`);
      await until(() => steps() > first, "the report to grow");
    } finally {
      stop.abort();
    }
    expect(await done).toBe(0);
    expect(steps()).toBe(80);
  });

  it("watch refuses --report with --features", async () => {
    const err = capture();
    const status = await runWatch(
      kernels,
      example,
      { once: true, features: true, report: join(dir, "x.html") },
      {
        out: capture().stream,
        err: err.stream,
      },
    );
    expect(status).toBe(2);
    expect(err.text()).toContain("leave out --features");
  });
});

describe("--alert-webhook", () => {
  it("scan POSTs the example's alarm, diagnosis changes and recommendation to a local server", async () => {
    const server = await webhookServer();
    try {
      const err = capture();
      const status = await runScan(
        kernels,
        [example],
        { json: true, alertWebhook: server.url },
        { out: capture().stream, err: err.stream },
      );
      expect(status).toBe(0);
      expect(err.text()).toBe("");
      const events = server.received.map((r) => r.body as AlertEvent);
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.run === "demo-entropy-collapse")).toBe(true);
      const summary = jsonLines(runCli(["scan", example, "--json"]).stdout)[1];
      expect(events[0]).toMatchObject({ kind: "alarm", step: summary.first_alarm_step, source: "rftfm" });
      expect(events.filter((e) => e.kind === "alarm")).toHaveLength(1);
      expect(events.some((e) => e.kind === "action" && e.recommendations.length > 0)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("slack format sends Slack's shape; an unreachable hook is reported on stderr, the scan still succeeds", async () => {
    const server = await webhookServer();
    try {
      await runScan(
        kernels,
        [example],
        { json: true, alertWebhook: server.url, alertFormat: "slack" },
        { out: capture().stream, err: capture().stream },
      );
      const body = server.received[0].body as { text: string; blocks: unknown[] };
      expect(body.text).toMatch(/^rftfm: run demo-entropy-collapse: alarm at step \d+/);
      expect(body.blocks).toHaveLength(1);
    } finally {
      await server.close();
    }
    const r = runCli(["scan", example, "--json", "--alert-webhook", "http://127.0.0.1:9/hook"]);
    expect(r.status).toBe(0);
    expect(jsonLines(r.stdout)).toHaveLength(2);
    expect(r.stderr).toMatch(/not delivered to http:\/\/127\.0\.0\.1:9\/hook/);
  }, 60_000);

  it("watch POSTs the same alarm as it follows the log", async () => {
    const server = await webhookServer();
    try {
      const status = await runWatch(
        kernels,
        example,
        { once: true, json: true, alertWebhook: server.url },
        { out: capture().stream, err: capture().stream },
      );
      expect(status).toBe(0);
      const alarms = server.received.map((r) => r.body as AlertEvent).filter((e) => e.kind === "alarm");
      // The same alarm as scan finds on the same file.
      const scanned = jsonLines(runCli(["scan", example, "--json"]).stdout) as {
        run: string;
        first_alarm_step: number | null;
      }[];
      const expected = scanned.filter((s) => s.first_alarm_step !== null).map((s) => [s.run, s.first_alarm_step]);
      expect(expected).toHaveLength(1);
      expect(alarms.map((e) => [e.run, e.step])).toEqual(expected);
    } finally {
      await server.close();
    }
  });

  it("refuses a webhook that is not an http(s) URL", () => {
    const r = runCli(["scan", example, "--alert-webhook", "ftp://x"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("expected an http or https URL");
  });
});
