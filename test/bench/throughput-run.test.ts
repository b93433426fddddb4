/**
 * `npm run bench -- --quick --json` (bench/run.ts) as a user runs it: one
 * JSON object on stdout whose shape docs/performance.md and issue 15 rely on.
 * No timing is asserted; River is skipped (no network here), so its ratio must
 * come back null with the reason.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const HEADLINE = [
  "scanner_native_vs_roofline",
  "scanner_wasm_vs_native",
  "scanner_native_vs_typescript",
  "detectors_native_vs_river",
  "observe_p99_ms",
  "faultbench_size_scan_s",
];

describe("npm run bench -- --quick --json", () => {
  it("prints one object with every measurement's fields and every headline ratio", async () => {
    const { stdout } = await promisify(execFile)(
      join(ROOT, "node_modules", ".bin", "tsx"),
      ["bench/run.ts", "--quick", "--json"],
      { cwd: ROOT, env: { ...process.env, RFTFM_BENCH_RIVER: "skip", NODE_ENV: "production" }, maxBuffer: 16 << 20 },
    );
    const report = JSON.parse(stdout);
    expect(report.quick).toBe(true);
    expect(Number.isNaN(Date.parse(report.date))).toBe(false);
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);

    expect(report.measurements.length).toBeGreaterThan(0);
    for (const m of report.measurements) {
      expect(Object.keys(m).sort()).toEqual(["backend", "name", "rme", "unit", "value"]);
      expect(typeof m.name).toBe("string");
      expect(Number.isFinite(m.value), `${m.name} ${m.backend} ${m.unit}`).toBe(true);
      expect(m.rme === null || Number.isFinite(m.rme)).toBe(true);
    }
    const backends = new Set(report.measurements.map((m: { backend: string }) => m.backend));
    for (const b of ["native", "wasm", "rust", "typescript", "cli"]) expect(backends).toContain(b);

    for (const name of HEADLINE) {
      expect(report.ratios, name).toHaveProperty(name);
      const value = report.ratios[name];
      if (value === null) expect(report.ratio_reasons[name], `reason for ${name}`).toMatch(/\S/);
      else expect(Number.isFinite(value) && value > 0, `${name} = ${value}`).toBe(true);
    }
    expect(report.ratios.detectors_native_vs_river).toBeNull();
    expect(report.ratio_reasons.detectors_native_vs_river).toContain("RFTFM_BENCH_RIVER=skip");
  }, 240_000);
});
