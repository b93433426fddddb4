import { afterEach, describe, expect, it } from "vitest";
import type { AlertEvent } from "../../src/alert/events.js";
import { alertPayload, checkWebhookUrl, WebhookAlerter } from "../../src/alert/webhook.js";
import { webhookServer } from "./server.js";

const event = (step: number, kind: AlertEvent["kind"] = "alarm"): AlertEvent => ({
  kind,
  run: "r17",
  step,
  text: `rftfm: run r17: alarm at step ${step}: kl_ref +9.1σ (cusum) <b>`,
  episode_start: step,
  anomalies: [{ signal: "kl_ref", score: Number.POSITIVE_INFINITY, direction: "up", detector: "nonfinite" }],
  diagnosis: [
    { fault: "lr_too_high", family: "optimization_dynamics", confidence: 0.81, evidence: ["kl_ref rising & <fast>"] },
  ],
  actions: [],
  recommendations: [{ kind: "scale_lr", factor: 0.5 }],
});

let servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function server(...args: Parameters<typeof webhookServer>) {
  const s = await webhookServer(...args);
  servers.push(s);
  return s;
}

describe("WebhookAlerter against a local HTTP server", () => {
  it("POSTs each event as JSON, in order, non-finite numbers as strings", async () => {
    const s = await server();
    const alerter = new WebhookAlerter({ url: s.url });
    alerter.send(event(1));
    alerter.send(event(2, "diagnosis"));
    expect(await alerter.flush(5000)).toBe(true);
    expect(s.received.map((r) => [r.method, r.contentType])).toEqual([
      ["POST", "application/json"],
      ["POST", "application/json"],
    ]);
    expect(s.received[0].body).toMatchObject({ source: "rftfm", version: 1, kind: "alarm", run: "r17", step: 1 });
    expect((s.received[0].body as AlertEvent).anomalies[0].score).toBe("Infinity");
    expect((s.received[1].body as AlertEvent).kind).toBe("diagnosis");
    expect(alerter.stats).toEqual({ sent: 2, failed: 0, dropped: 0, retried: 0, pending: 0 });
  });

  it("retries a 5xx and a 429 with a doubling delay, then delivers", async () => {
    const s = await server((n) => (n === 0 ? 503 : n === 1 ? 429 : 200));
    const alerter = new WebhookAlerter({ url: s.url, retryDelayMs: 40 });
    alerter.send(event(1));
    expect(await alerter.flush(5000)).toBe(true);
    expect(s.received).toHaveLength(3);
    expect(s.received[1].at - s.received[0].at).toBeGreaterThanOrEqual(35);
    expect(s.received[2].at - s.received[1].at).toBeGreaterThanOrEqual(75);
    expect(alerter.stats).toMatchObject({ sent: 1, failed: 0, retried: 2 });
  });

  it("gives up after the retries, and says so through onProblem", async () => {
    const s = await server(() => 500);
    const problems: string[] = [];
    const alerter = new WebhookAlerter({ url: s.url, retries: 2, retryDelayMs: 5, onProblem: (m) => problems.push(m) });
    alerter.send(event(7));
    expect(await alerter.flush(5000)).toBe(true);
    expect(s.received).toHaveLength(3);
    expect(alerter.stats).toMatchObject({ sent: 0, failed: 1, retried: 2 });
    expect(problems).toEqual([expect.stringMatching(/run r17 step 7 \(alarm\) not delivered to .*: HTTP 500/)]);
  });

  it("does not retry what the receiver refuses (400)", async () => {
    const s = await server(() => 400);
    const alerter = new WebhookAlerter({ url: s.url, retryDelayMs: 5, onProblem: () => {} });
    alerter.send(event(1));
    await alerter.flush(5000);
    expect(s.received).toHaveLength(1);
    expect(alerter.stats).toMatchObject({ failed: 1, retried: 0 });
  });

  it("times out a receiver that never answers, and retries", async () => {
    const s = await server((n) => (n === 0 ? "hang" : 200));
    const alerter = new WebhookAlerter({ url: s.url, timeoutMs: 150, retryDelayMs: 5 });
    const started = Date.now();
    alerter.send(event(1));
    expect(await alerter.flush(5000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(s.received).toHaveLength(2);
    expect(alerter.stats).toMatchObject({ sent: 1, retried: 1 });
  });

  it("never blocks the caller: send returns at once while the receiver hangs", async () => {
    const s = await server(() => "hang");
    const alerter = new WebhookAlerter({ url: s.url, timeoutMs: 2000, retries: 0, onProblem: () => {} });
    const started = performance.now();
    for (let i = 0; i < 100; i++) alerter.send(event(i));
    expect(performance.now() - started).toBeLessThan(100);
    expect(alerter.stats.pending).toBeGreaterThan(0);
    expect(await alerter.flush(50)).toBe(false);
    expect(alerter.abandon()).toBeGreaterThan(90);
  });

  it("drops the oldest event when its queue is full, and counts it", async () => {
    const s = await server(() => "hang");
    const problems: string[] = [];
    const alerter = new WebhookAlerter({
      url: s.url,
      maxQueue: 3,
      timeoutMs: 100,
      retries: 0,
      onProblem: (m) => problems.push(m),
    });
    for (let i = 0; i < 6; i++) alerter.send(event(i));
    // The first is in flight; of the 5 queued behind it, 2 are dropped.
    expect(alerter.stats.dropped).toBe(2);
    expect(problems.filter((p) => p.startsWith("alert queue full"))).toHaveLength(2);
    alerter.abandon();
  });

  it("a Slack payload: text and a mrkdwn section with the evidence, &, < and > escaped", () => {
    const body = alertPayload(event(3), "slack") as {
      text: string;
      blocks: { text: { type: string; text: string } }[];
    };
    expect(body.text).toBe(event(3).text);
    expect(body.blocks[0].text.type).toBe("mrkdwn");
    expect(body.blocks[0].text.text).toBe(
      "*rftfm: run r17: alarm at step 3: kl_ref +9.1σ (cusum) &lt;b&gt;*\n• kl_ref rising &amp; &lt;fast&gt;",
    );
  });

  it("refuses an address that is not http(s)", () => {
    expect(() => checkWebhookUrl("ftp://x")).toThrow(/http or https/);
    expect(() => checkWebhookUrl("not a url")).toThrow(/not a URL/);
    expect(() => new WebhookAlerter({ url: "file:///tmp/x" })).toThrow(/http or https/);
  });
});
