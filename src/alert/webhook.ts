/**
 * Alerts to a webhook: each event a JSON POST, in order, from a queue drained
 * in the background, so that the monitor's loop never waits on the network.
 * A POST that fails (network error, timeout, HTTP 408, 429 or 5xx) is retried
 * with a doubling delay; one the receiver refuses (other 4xx) is not. A full
 * queue drops its oldest event and counts it. Problems are reported through
 * `onProblem`, never thrown.
 */
import type { AlertEvent } from "./events.js";

export type AlertFormat = "json" | "slack";
export const ALERT_FORMATS: readonly AlertFormat[] = ["json", "slack"];

export interface WebhookOptions {
  url: string;
  /** `json` (default): the event as it is; `slack`: a Slack incoming-webhook message (`text` and `blocks`). */
  format?: AlertFormat;
  /** Per attempt, in milliseconds (default 5000). */
  timeoutMs?: number;
  /** Attempts after the first (default 3). */
  retries?: number;
  /** Delay before the first retry, doubled for each next one (default 500 ms). */
  retryDelayMs?: number;
  /** Events waiting at most (default 1000); past it the oldest is dropped. */
  maxQueue?: number;
  /** For tests and other runtimes; default the global fetch. */
  fetch?: typeof fetch;
  /** Told of each event that could not be delivered, and of drops. */
  onProblem?: (message: string) => void;
}

export interface WebhookStats {
  sent: number;
  failed: number;
  dropped: number;
  retried: number;
  pending: number;
}

/** Checks a webhook address: an absolute http or https URL. Throws with the reason. */
export function checkWebhookUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`alert webhook: not a URL: ${url}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    throw new Error(`alert webhook: expected an http or https URL, got ${parsed.protocol} (${url})`);
  return parsed;
}

/** Slack's mrkdwn treats &, < and > as markup. */
function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The body POSTed for an event. */
export function alertPayload(event: AlertEvent, format: AlertFormat): unknown {
  if (format === "json") return { source: "rftfm", version: 1, ...event };
  const lines = [`*${slackEscape(event.text)}*`];
  const d = event.diagnosis[0];
  if (d && event.kind !== "action") for (const e of d.evidence.slice(0, 3)) lines.push(`• ${slackEscape(e)}`);
  return {
    text: event.text,
    blocks: [{ type: "section", text: { type: "mrkdwn", text: lines.join("\n") } }],
  };
}

/** JSON with non-finite numbers as strings (a score can be Infinity). */
function toBody(payload: unknown): string {
  return JSON.stringify(payload, (_key, value) =>
    typeof value === "number" && !Number.isFinite(value) ? String(value) : value,
  );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class WebhookAlerter {
  private readonly queue: AlertEvent[] = [];
  private draining: Promise<void> | null = null;
  /** After abandon(): no more retries. */
  private abandoned = false;
  private readonly counts = { sent: 0, failed: 0, dropped: 0, retried: 0 };
  private readonly options: Required<Omit<WebhookOptions, "onProblem">> & Pick<WebhookOptions, "onProblem">;

  constructor(options: WebhookOptions) {
    checkWebhookUrl(options.url);
    this.options = {
      format: "json",
      timeoutMs: 5000,
      retries: 3,
      retryDelayMs: 500,
      maxQueue: 1000,
      fetch: globalThis.fetch,
      ...options,
    };
  }

  /** Queues an event and returns at once. */
  send(event: AlertEvent): void {
    if (this.queue.length >= this.options.maxQueue) {
      const lost = this.queue.shift()!;
      this.counts.dropped++;
      this.problem(`alert queue full: dropped the ${lost.kind} alert of run ${lost.run} step ${lost.step}`);
    }
    this.queue.push(event);
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
  }

  get stats(): WebhookStats {
    return { ...this.counts, pending: this.queue.length + (this.draining ? 1 : 0) };
  }

  /**
   * Waits until every queued event is delivered or given up on, or until
   * `withinMs` has passed; resolves true when nothing is left.
   */
  async flush(withinMs = Infinity): Promise<boolean> {
    const deadline = Date.now() + withinMs;
    while (this.draining) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = Number.isFinite(left)
        ? new Promise<"late">((resolve) => {
            timer = setTimeout(() => resolve("late"), left);
          })
        : new Promise<"late">(() => {});
      const outcome = await Promise.race([this.draining.then(() => "done" as const), timedOut]);
      clearTimeout(timer);
      if (outcome === "late") return false;
    }
    return true;
  }

  /** Gives up on the events still queued (counted as failed); the attempt in flight ends on its own. Returns how many. */
  abandon(): number {
    const n = this.queue.length;
    this.queue.length = 0;
    this.counts.failed += n;
    this.abandoned = true;
    return n;
  }

  private async drain(): Promise<void> {
    for (let event = this.queue.shift(); event; event = this.queue.shift()) await this.deliver(event);
  }

  private async deliver(event: AlertEvent): Promise<void> {
    const { url, format, timeoutMs, retries, retryDelayMs } = this.options;
    const body = toBody(alertPayload(event, format));
    let reason = "";
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        if (this.abandoned) break;
        this.counts.retried++;
        await sleep(retryDelayMs * 2 ** (attempt - 1));
      }
      try {
        const response = await this.options.fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", "user-agent": "rftfm" },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        // The body is not needed; reading it frees the connection.
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          this.counts.sent++;
          return;
        }
        reason = `HTTP ${response.status}`;
        const retriable = response.status === 408 || response.status === 429 || response.status >= 500;
        if (!retriable) break;
      } catch (error) {
        const e = error as Error;
        reason = e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : e.message || String(error);
      }
    }
    this.counts.failed++;
    this.problem(`alert for run ${event.run} step ${event.step} (${event.kind}) not delivered to ${url}: ${reason}`);
  }

  private problem(message: string): void {
    try {
      this.options.onProblem?.(message);
    } catch {
      // A broken problem handler must not stop the alerts either.
    }
  }
}
