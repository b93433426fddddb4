/**
 * What the rftfm CLI lends the benchmark's commands when it loads them
 * (src/cli/bench.ts): its argument parser, progress lines and table layout.
 * Declared here by shape, so that the benchmark imports the library only
 * through its public API; test/cli/bench-seam.test.ts holds the CLI's helpers
 * to this shape.
 */
import type { Writable } from "node:stream";

export interface CliTools {
  /** A commander argument parser for a number option, refusing values outside the rule with a clear message. */
  numberArg(rule: { integer?: boolean; min: number; exclusive?: boolean; expected: string }): (text: string) => number;
  /** A progress callback for a long job: one line rewritten in place on a terminal, a line now and then elsewhere. */
  progressReporter(
    label: string,
    sink: { stream: Writable; isTTY: boolean },
  ): (done: number, total: number, item: string) => void;
  /** `1h02m`, `3m05s`, `42s`. */
  formatDuration(seconds: number): string;
  /** Rows under a header, columns right-aligned. */
  renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string;
  /** A number in a table cell. */
  formatCell(value: number | undefined): string;
}
