import { describe, expect, it } from "vitest";
import { colorEnabled, paintFor } from "../../src/cli/style.js";
import { renderRunReport, renderVerdictLine } from "../../src/cli/verdicts.js";
import type { RunSummary } from "../../src/verdict/types.js";
import { root, runCli } from "./run-cli.js";

const terminal = { isTTY: true, hasColors: () => true };
const alarmed: RunSummary = {
  run: "r",
  steps: 9,
  alarm: true,
  first_alarm_step: 4,
  diagnosis: [],
  actions: [],
  lacking: [],
};

describe("colour only for people: NO_COLOR and non-TTY output (issue 13, CLI conventions)", () => {
  it("colours a terminal's report, and nothing when NO_COLOR is set, TERM is dumb, or the output is not a terminal", () => {
    expect(colorEnabled(terminal, {})).toBe(true);
    expect(colorEnabled(terminal, { NO_COLOR: "1" })).toBe(false);
    expect(colorEnabled(terminal, { TERM: "dumb" })).toBe(false);
    expect(colorEnabled({ isTTY: true, hasColors: () => false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
    expect(renderRunReport(alarmed, undefined, paintFor(terminal, {}))).toContain("\x1b[1;31malarm at step 4\x1b[0m");
    expect(renderRunReport(alarmed, undefined, paintFor(terminal, { NO_COLOR: "x" }))).toBe(renderRunReport(alarmed));
    const verdict = { run: "r", step: 3, anomalous: false, anomalies: [], diagnosis: [], actions: [] };
    expect(renderVerdictLine(verdict, paintFor(terminal, {}))).toBe("r step 3: \x1b[32mok\x1b[0m\n");
  });

  it("writes no escape code into a pipe, even asked to force colour", () => {
    const r = runCli(["scan", `${root}/examples/small-run.jsonl`], { env: { FORCE_COLOR: "3" } });
    expect(r.stdout).toMatch(/alarm at step \d+/);
    expect(r.stdout + r.stderr).not.toContain("\x1b[");
  });
});
