/**
 * GET /metrics: the server's state in the Prometheus text exposition format
 * (version 0.0.4): per run its alarm state, steps seen, first alarm step and
 * last verdict; the monitor's own latency per step; request counters.
 */
import type { ServeSession } from "./session.js";

/** A label value as the format wants it: backslash, double quote and newline escaped. */
export function labelValue(text: string): string {
  return text.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** A sample value: Prometheus spells the non-finite ones NaN, +Inf, -Inf. */
function sample(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "+Inf";
  if (x === -Infinity) return "-Inf";
  return String(x);
}

export function renderMetrics(session: ServeSession): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  const runs = session.runs();
  family("rftfm_runs", "gauge", "Runs the monitor holds.");
  lines.push(`rftfm_runs ${runs.length}`);
  family("rftfm_run_alarm", "gauge", "1 when the run has alarmed at any step so far, else 0.");
  for (const { summary } of runs)
    lines.push(`rftfm_run_alarm{run="${labelValue(summary.run)}"} ${summary.alarm ? 1 : 0}`);
  family("rftfm_run_anomalous", "gauge", "1 when the run's latest verdict is anomalous, else 0.");
  for (const { summary, last } of runs)
    lines.push(`rftfm_run_anomalous{run="${labelValue(summary.run)}"} ${last?.anomalous ? 1 : 0}`);
  family("rftfm_run_steps", "gauge", "Steps of the run the monitor has judged.");
  for (const { summary } of runs) lines.push(`rftfm_run_steps{run="${labelValue(summary.run)}"} ${summary.steps}`);
  family("rftfm_run_last_step", "gauge", "The step of the run's latest verdict (since the server started).");
  for (const { summary, last } of runs)
    if (last) lines.push(`rftfm_run_last_step{run="${labelValue(summary.run)}"} ${last.step}`);
  family("rftfm_run_first_alarm_step", "gauge", "The step of the run's first alarm (absent before any).");
  for (const { summary } of runs)
    if (summary.first_alarm_step !== null)
      lines.push(`rftfm_run_first_alarm_step{run="${labelValue(summary.run)}"} ${summary.first_alarm_step}`);
  family("rftfm_run_actions", "gauge", "Actions the run has been given so far.");
  for (const { summary } of runs)
    lines.push(`rftfm_run_actions{run="${labelValue(summary.run)}"} ${summary.actions.length}`);
  const lat = session.latency;
  family(
    "rftfm_observe_seconds",
    "summary",
    "Time the monitor takes to judge one step (window of the last 4096 steps).",
  );
  for (const q of [0.5, 0.9, 0.99]) lines.push(`rftfm_observe_seconds{quantile="${q}"} ${sample(lat.quantile(q))}`);
  lines.push(`rftfm_observe_seconds_sum ${sample(lat.sum)}`, `rftfm_observe_seconds_count ${lat.count}`);
  const c = session.counters;
  family("rftfm_requests_total", "counter", "Requests handled (lines and HTTP bodies).");
  lines.push(`rftfm_requests_total ${c.requests}`);
  family("rftfm_verdicts_total", "counter", "Steps judged.");
  lines.push(`rftfm_verdicts_total ${c.verdicts}`);
  family("rftfm_bad_requests_total", "counter", "Requests refused (not JSON, malformed records, unknown kinds).");
  lines.push(`rftfm_bad_requests_total ${c.badLines}`);
  family("rftfm_snapshots_total", "counter", "State snapshots taken.");
  lines.push(`rftfm_snapshots_total ${c.snapshots}`);
  return `${lines.join("\n")}\n`;
}
