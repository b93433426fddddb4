import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const dist = join(root, "dist");
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: "utf8" }).trim();

/** The built package as consumers see it: these need `npm run build` first. */
describe("the built package", () => {
  it("has been built", () => {
    expect(existsSync(join(dist, "index.js")), "dist/ is missing: run npm run build").toBe(true);
  });

  it("can be imported as ESM", () => {
    const out = node([
      "--input-type=module",
      "-e",
      "import { backend, scan } from 'rftfm'; console.log(backend, typeof scan)",
    ]);
    expect(out).toMatch(/^(native|wasm) function$/);
  });

  it("can be required from CommonJS", () => {
    const out = node(["-e", "const { backend, scan } = require('rftfm'); console.log(backend, typeof scan)"]);
    expect(out).toMatch(/^(native|wasm) function$/);
  });

  it("runs a Monitor with the shipped fingerprint set from both builds", () => {
    const observe =
      // Non-finite at two points in a row is an alarm (one is a note).
      "const m = new Monitor(); m.observe({ run: 'r', step: 0, metrics: { loss: NaN } });" +
      "const v = m.observe({ run: 'r', step: 1, metrics: { loss: NaN } });" +
      "console.log(m.set.fingerprints.length, v.anomalous, v.diagnosis[0].fault)";
    expect(node(["--input-type=module", "-e", `import { Monitor } from 'rftfm'; ${observe}`])).toBe("16 true nan_inf");
    expect(node(["-e", `const { Monitor } = require('rftfm'); ${observe}`])).toBe("16 true nan_inf");
  });

  it("ships the CLI as its bin", () => {
    expect(node([join(dist, "cli.js"), "--version"])).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("loads the benchmark's commands from their own bundle, whose workers run from the package", () => {
    const out = mkdtempSync(join(tmpdir(), "rftfm-package-faultbench-"));
    node([
      join(dist, "cli.js"),
      "faultbench",
      "generate",
      "--out",
      out,
      "--runs",
      "1",
      "--steps",
      "2",
      "--workers",
      "1",
    ]);
    expect(Object.keys(JSON.parse(readFileSync(join(out, "labels.json"), "utf8")).runs)).toEqual(["s1-healthy-0"]);
  });

  it("writes a self-contained report from dist/cli.js, run from another directory, and from both builds", () => {
    const out = join(mkdtempSync(join(tmpdir(), "rftfm-package-report-")), "report.html");
    const printed = execFileSync(
      process.execPath,
      [join(dist, "cli.js"), "report", join(root, "examples/small-run.jsonl"), "--out", out],
      { cwd: tmpdir(), encoding: "utf8" },
    );
    expect(printed).toContain("(2 runs, 1 with an alarm)");
    const html = readFileSync(out, "utf8");
    expect(html).toContain('id="rftfm-data"');
    expect(html).toContain("uPlot");
    const render =
      "const c = new ReportCollector(); c.observe({ run: 'r', step: 1 }, { reward_mean: 1 }," +
      " { run: 'r', step: 1, anomalous: false, anomalies: [], diagnosis: [], actions: [] });" +
      "console.log(renderReportHtml(c.build(() => undefined)).includes('rftfmReport') ? 'page' : 'no page')";
    expect(
      node(["--input-type=module", "-e", `import { ReportCollector, renderReportHtml } from 'rftfm'; ${render}`]),
    ).toBe("page");
    expect(node(["-e", `const { ReportCollector, renderReportHtml } = require('rftfm'); ${render}`])).toBe("page");
  });

  it("ships what the report page needs: its script in the package files, uPlot as a dependency", () => {
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(manifest.files).toContain("src/report/client.js");
    expect(manifest.dependencies.uplot).toBeDefined();
    expect(existsSync(join(root, "node_modules/uplot/dist/uPlot.iife.min.js"))).toBe(true);
  });

  it("keeps the benchmark out of the library's bundles and the CLI's, and the CSV writer out of the library's", () => {
    // esbuild marks each bundled module with a `// path` comment.
    for (const file of ["index.js", "index.cjs", "cli.js"]) {
      expect(readFileSync(join(dist, file), "utf8"), file).not.toMatch(/^\/\/ bench\//m);
    }
    for (const file of ["index.js", "index.cjs"]) {
      expect(readFileSync(join(dist, file), "utf8"), file).not.toContain("csv-stringify");
    }
    expect(readFileSync(join(dist, "faultbench.js"), "utf8")).toMatch(/^\/\/ bench\/cli\/faultbench\.ts$/m);
  });
});
