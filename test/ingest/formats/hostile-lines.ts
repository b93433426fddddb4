/**
 * Reads hostile 100k-character lines with every line format, forced and
 * detected, and prints one JSON line per format with the longest any one line
 * took, in milliseconds: run in a child process by hostile.test.ts, so that a parser that
 * backtracks (and would block its thread for hours) is killed, not waited for.
 *
 *   node --import tsx test/ingest/formats/hostile-lines.ts [format...]
 */
import { Readable } from "node:stream";
import type { FormatName } from "../../../src/ingest/format.js";
import { LINE_FORMATS } from "../../../src/ingest/formats/index.js";
import { readTelemetry } from "../../../src/ingest/read.js";

const N = 100_000;
const spaces = " ".repeat(N);

/** Lines that sent a regex of some adapter into super-linear backtracking, or could. */
export const HOSTILE_LINES: readonly string[] = [
  `{'loss': np.float64(${spaces}x, 'epoch': 0.02}`,
  `{'loss': tensor(${spaces}x, 'epoch': 0.02}`,
  `{'loss': ${"np.float64(".repeat(N / 11)}`,
  `${spaces}x`,
  `(TaskRunner pid=1) step:1 - a:1${spaces}x`,
  `step:1 - ${"a - ".repeat(N / 4)}\r`,
  `_step,${"a - ".repeat(N / 4)}\r`,
  `Step,${"run - loss,".repeat(N / 11)}"`,
  `Step,${"a - ".repeat(N / 4)}\u2028`,
  `\x1b[${"1;".repeat(N / 2)}`,
  `\x1b]${";a".repeat(N / 2)}`,
  `{"kind": "step", "run": "${'\\"'.repeat(N / 2)}`,
  `{${spaces}`,
  `{'loss'${spaces}`,
  `{'loss': ${"{'a': ".repeat(N / 6)}`,
  `${"[".repeat(N)}`,
  `${"%|".repeat(N / 2)}`,
  `${"\r1%|a| 1/2 [".repeat(N / 12)}`,
  `{'loss': 0.1, 'x': '${"\\".repeat(N)}`,
  `${"'a".repeat(N / 2)}`,
  `{"_step": 1, "a": ${"1".repeat(N)}x}`,
  `1,${"1".repeat(N)}e`,
];

async function readLines(lines: readonly string[], format?: FormatName): Promise<void> {
  const { steps, report } = readTelemetry([Readable.from([lines.join("\n")])], format ? { format } : {});
  for await (const _ of steps);
  void report;
}

/** The longest time one of the lines took, read as `format` (detected when undefined). */
async function slowest(format?: FormatName): Promise<number> {
  let max = 0;
  for (const line of HOSTILE_LINES) {
    const started = performance.now();
    await readLines([line], format);
    max = Math.max(max, performance.now() - started);
  }
  return max;
}

const wanted = process.argv.slice(2);
const names: Array<FormatName | undefined> = [...LINE_FORMATS.map((f) => f.name), undefined];
for (const format of names.filter((name) => wanted.length === 0 || wanted.includes(name ?? "detected"))) {
  // Forced, a format's parser reads each line; detected, every format's `claims` does.
  console.log(JSON.stringify({ format: format ?? "detected", ms: await slowest(format) }));
}
