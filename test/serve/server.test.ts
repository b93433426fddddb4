import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { labelValue } from "../../src/serve/metrics.js";
import { startServer } from "../../src/serve/server.js";
import { STATE_FILE } from "../../src/serve/state.js";
import { encodeJson } from "../../src/telemetry/encode.js";
import { root } from "../cli/run-cli.js";
import { kernels, runLines } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "rftfm-server-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the HTTP transport", () => {
  it("observes, summarises, reports health and Prometheus metrics with per-run alarm state and latency", async () => {
    const stateDir = join(dir, "http-state");
    const server = await startServer({ http: { port: 0 }, stateDir, monitor: { kernels }, onError: () => {} });
    try {
      const post = (body: unknown) =>
        fetch(`${server.url}/v1/observe`, { method: "POST", body: encodeJson(body) }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as Record<string, unknown>,
        }));
      for (const line of runLines('run "x"', 25, 15)) {
        const { status, body } = await post(line);
        expect(status).toBe(200);
        expect(body.kind).toBe("verdict");
        // The first checkpoint event (step 9) is where the state is first saved.
        expect(existsSync(join(stateDir, STATE_FILE))).toBe((line.step as number) >= 9);
      }
      expect((await post({ kind: "step", run: "a", step: 1.5, metrics: {} })).status).toBe(400);
      const summary = await fetch(`${server.url}/v1/runs/${encodeURIComponent('run "x"')}/summary`);
      expect(summary.status).toBe(200);
      expect(((await summary.json()) as { alarm: boolean }).alarm).toBe(true);
      expect((await fetch(`${server.url}/v1/runs/nope/summary`)).status).toBe(404);
      expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({ ok: true, runs: 1 });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain(`rftfm_run_alarm{run="${labelValue('run "x"')}"} 1`);
      expect(metrics).toMatch(/rftfm_observe_seconds\{quantile="0.99"\} \d/);
      expect(metrics).toContain("rftfm_observe_seconds_count 25");
      expect(metrics).toContain("rftfm_bad_requests_total 1");
      // Every sample line is `name{labels} value` or `name value` (the exposition format).
      for (const line of metrics.split("\n").filter((l) => l && !l.startsWith("#")))
        expect(line).toMatch(/^[a-z_]+(\{.*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/);
    } finally {
      await server.stop();
    }
  });

  it("listens on loopback only", async () => {
    await expect(startServer({ http: { port: 0, host: "0.0.0.0" }, monitor: { kernels } })).rejects.toThrow(/loopback/);
  });
});

describe("the Unix socket transport", () => {
  it("answers NDJSON lines in order on each connection", async () => {
    const path = join(dir, "s.sock");
    const server = await startServer({ socket: path, monitor: { kernels }, onError: () => {} });
    try {
      const conn = connect(path);
      const lines = runLines("u", 5);
      conn.write(lines.map((l) => `${encodeJson(l)}\n`).join(""));
      conn.end();
      let text = "";
      for await (const chunk of conn) text += String(chunk);
      const replies = text
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(replies.map((r) => [r.kind, r.step, r.id])).toEqual(lines.map((l) => ["verdict", l.step, l.id]));
    } finally {
      await server.stop();
    }
    expect(existsSync(path)).toBe(false);
  });
});

/** Runs `rftfm serve` (from source) on stdio; returns a line-at-a-time conversation with it. */
function serveProcess(stateDir: string) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(root, "src/cli/main.ts"), "serve", "--state-dir", stateDir],
    { cwd: root, stdio: ["pipe", "pipe", "pipe"] },
  );
  let buffer = "";
  const waiting: ((line: string) => void)[] = [];
  const ready: string[] = [];
  child.stdout.on("data", (chunk) => {
    buffer += String(chunk);
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const w = waiting.shift();
      if (w) w(line);
      else ready.push(line);
    }
  });
  let stderr = "";
  child.stderr.on("data", (c) => {
    stderr += String(c);
  });
  const ask = (value: unknown) =>
    new Promise<Record<string, unknown>>((resolve) => {
      waiting.push((line) => resolve(JSON.parse(line)));
      const r = ready.shift();
      if (r !== undefined) waiting.shift()?.(r);
      child.stdin.write(`${encodeJson(value)}\n`);
    });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, ask, exited, stderr: () => stderr };
}

describe("rftfm serve over stdio", () => {
  it("saves its state on SIGTERM and, restarted, continues with the verdicts an uninterrupted server gives", async () => {
    const lines = runLines("t", 36, 24);
    const strip = ({ id: _id, ...rest }: Record<string, unknown>) => rest;
    const straight = serveProcess(join(dir, "straight"));
    await straight.ask({ kind: "configure", run: "t", mode: "act", allowed: ["halt", "alert"] });
    const expected: Record<string, unknown>[] = [];
    for (const l of lines) expected.push(strip(await straight.ask(l)));
    straight.child.stdin.end();
    expect(await straight.exited).toBe(0);

    const stateDir = join(dir, "restart");
    const first = serveProcess(stateDir);
    await first.ask({ kind: "configure", run: "t", mode: "act", allowed: ["halt", "alert"] });
    const got: Record<string, unknown>[] = [];
    for (const l of lines.slice(0, 22)) got.push(strip(await first.ask(l)));
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(existsSync(join(stateDir, STATE_FILE))).toBe(true);
    const second = serveProcess(stateDir);
    for (const l of lines.slice(22)) got.push(strip(await second.ask(l)));
    second.child.stdin.end();
    expect(await second.exited).toBe(0);
    expect(second.stderr()).toContain("state restored");
    expect(got).toEqual(expected);
    expect(expected.some((v) => (v.actions as { kind: string }[]).some((a) => a.kind === "halt"))).toBe(true);
  }, 60_000);
});
