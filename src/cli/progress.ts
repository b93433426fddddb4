import type { Writable } from "node:stream";

/** Where progress goes: a stream, and whether it is a terminal (one line rewritten in place). */
export interface ProgressSink {
  stream: Writable;
  isTTY: boolean;
}

/** Interval between progress lines when the sink is not a terminal (a log file, CI). */
const LINE_INTERVAL_MS = 10_000;

/** Formats a duration in seconds as `1h02m`, `3m05s` or `42s`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/**
 * A progress callback for long jobs: on a terminal, one line updated in place;
 * elsewhere, a line for the first item, then at most one every 10 s, and the last.
 * Each line says how many are done, the time spent and an estimate of the time left.
 */
export function progressReporter(
  label: string,
  sink: ProgressSink,
): (done: number, total: number, item: string) => void {
  const started = Date.now();
  let lastLine = 0;
  return (done, total, item) => {
    const now = Date.now();
    const elapsed = (now - started) / 1000;
    const left = done > 0 ? (elapsed / done) * (total - done) : NaN;
    const text =
      `${label}: ${done}/${total} (${Math.floor((100 * done) / total)}%), ${formatDuration(elapsed)} elapsed` +
      (done < total ? `, about ${formatDuration(left)} left (last: ${item})` : "");
    if (sink.isTTY) {
      sink.stream.write(`\r${text}\x1b[K${done === total ? "\n" : ""}`);
    } else if (done === 1 || done === total || now - lastLine >= LINE_INTERVAL_MS) {
      sink.stream.write(`${text}\n`);
      lastLine = now;
    }
  };
}
