/**
 * Alerts where people look: the events a verdict stream raises (events.ts) and
 * their delivery to a webhook (webhook.ts). `VerdictAlerts` ties the two for a
 * front end (scan, watch, a future serve): hand it each verdict; it never waits
 * and never throws.
 */
import type { Verdict } from "../verdict/types.js";
import { type AlertEvent, AlertEvents } from "./events.js";

export { type AlertEvent, AlertEvents, type AlertKind } from "./events.js";
export {
  ALERT_FORMATS,
  type AlertFormat,
  alertPayload,
  checkWebhookUrl,
  WebhookAlerter,
  type WebhookOptions,
  type WebhookStats,
} from "./webhook.js";

/** Where alert events go: a webhook, or anything else that takes them without waiting. */
export interface AlertSink {
  send(event: AlertEvent): void;
}

export class VerdictAlerts {
  private readonly events = new AlertEvents();

  constructor(private readonly sink: AlertSink) {}

  /** Raises the alerts of one verdict; returns them (for logs and tests). */
  observe(verdict: Verdict): AlertEvent[] {
    let raised: AlertEvent[] = [];
    try {
      raised = this.events.observe(verdict);
      for (const event of raised) this.sink.send(event);
    } catch {
      // Alerting is a side channel: whatever goes wrong in it must not reach the monitor's loop.
    }
    return raised;
  }
}
