/**
 * `--alert-webhook URL` and `--alert-format json|slack`, as `scan` and `watch`
 * take them: the verdicts' alerts (src/alert) POSTed from the background while
 * the monitor goes on; what could not be delivered is written to stderr.
 */
import type { Writable } from "node:stream";
import { type Command, InvalidArgumentError, Option } from "commander";
import { ALERT_FORMATS, type AlertFormat, checkWebhookUrl, VerdictAlerts, WebhookAlerter } from "../alert/index.js";
import type { Verdict } from "../verdict/types.js";

export interface AlertCommandOptions {
  alertWebhook?: string;
  alertFormat?: AlertFormat;
}

/** How long a command waits at its end for the alerts still in flight. */
const FLUSH_MS = 30_000;

export function addAlertOptions(command: Command): Command {
  return command
    .option(
      "--alert-webhook <url>",
      "POST a JSON alert to this URL on each new alarm episode, change of diagnosis and action " +
        "(in the background, retried on failure; the monitor never waits for it)",
      (url: string) => {
        try {
          checkWebhookUrl(url);
        } catch (error) {
          throw new InvalidArgumentError((error as Error).message);
        }
        return url;
      },
    )
    .addOption(
      new Option("--alert-format <format>", "the alert body: json (the event) or slack (an incoming-webhook message)")
        .choices(ALERT_FORMATS)
        .default("json"),
    );
}

/** The alerts of a command, or none without `--alert-webhook`. */
export interface CommandAlerts {
  observe(verdict: Verdict): void;
  /** Waits (boundedly) for the alerts in flight, and says on `err` what was not delivered. */
  finish(): Promise<void>;
}

export function commandAlerts(options: AlertCommandOptions, err: Writable): CommandAlerts | undefined {
  if (!options.alertWebhook) return undefined;
  const alerter = new WebhookAlerter({
    url: options.alertWebhook,
    format: options.alertFormat ?? "json",
    onProblem: (message) => err.write(`rftfm: ${message}\n`),
  });
  const alerts = new VerdictAlerts(alerter);
  return {
    observe: (verdict) => alerts.observe(verdict),
    finish: async () => {
      const done = await alerter.flush(FLUSH_MS);
      if (!done) {
        const { pending } = alerter.stats;
        alerter.abandon();
        err.write(`rftfm: ${pending} alert(s) still undelivered after ${FLUSH_MS / 1000} s; giving up on them\n`);
      }
    },
  };
}
