/**
 * Every parser of untrusted text runs in linear time: each line format reads
 * 100k-character lines made to make regexes backtrack (`hostile-lines.ts`)
 * within a generous budget per line. The lines are read in a child process,
 * killed past a deadline: a backtracking parser blocks its thread (for hours on
 * `np.float64(` and 100k spaces), and must fail this test rather than hang it.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { LINE_FORMATS } from "../../../src/ingest/formats/index.js";

/** Milliseconds one 100k-character line may take; linear parsers take well under a tenth of it. */
const PER_LINE_MS = 3000;

const results = new Map<string, number>();
let output = "";

beforeAll(() => {
  const script = fileURLToPath(new URL("./hostile-lines.ts", import.meta.url));
  const child = spawnSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8", timeout: 100_000 });
  output = `${child.stdout}\n${child.stderr}\n${child.signal ?? ""}`;
  for (const line of child.stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const { format, ms } = JSON.parse(line);
    results.set(format, ms);
  }
}, 120_000);

describe("hostile 100k-character lines, read in linear time", () => {
  for (const format of [...LINE_FORMATS.map((f) => f.name), "detected"]) {
    it(format, () => {
      const ms = results.get(format);
      expect(ms, `no result for ${format} (killed?):\n${output.slice(-2000)}`).toBeDefined();
      expect(ms).toBeLessThan(PER_LINE_MS);
    });
  }
});
