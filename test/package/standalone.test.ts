import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "rftfm-standalone-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the Python wheel carries (python/hatch_build.py), copied where no node_modules can be found. */
describe("the standalone CLI bundle (what the pip package carries)", () => {
  it("serves a step with nothing but the files the wheel takes", () => {
    expect(existsSync(join(root, "dist/standalone/rftfm-standalone.js")), "run npm run build").toBe(true);
    for (const rel of ["package.json", "dist/names.json", "dist/standalone", "fingerprints", "layout", "wasm/build"])
      cpSync(join(root, rel), join(dir, rel), { recursive: true });
    for (const f of readdirSync(join(root, "native")).filter(
      (f) => /\.node(\.sha256)?$/.test(f) || f === "binding.cjs",
    ))
      cpSync(join(root, "native", f), join(dir, "native", f));
    for (const backend of ["native", "wasm"]) {
      const out = execFileSync(process.execPath, [join(dir, "dist/standalone/rftfm-standalone.js"), "serve"], {
        cwd: dir,
        // Non-finite at two points in a row: an alarm (one is a note).
        input:
          '{"kind":"step","run":"r","step":0,"metrics":{"loss":"NaN"}}\n' +
          '{"kind":"step","run":"r","step":1,"metrics":{"loss":"NaN"}}\n',
        env: { ...process.env, RFTFM_BACKEND: backend },
        encoding: "utf8",
        stdio: ["pipe", "pipe", "pipe"],
      });
      const verdict = JSON.parse(out.trim().split("\n").at(-1)!);
      expect([verdict.kind, verdict.anomalous, verdict.diagnosis[0].fault]).toEqual(["verdict", true, "nan_inf"]);
    }
  });
});
