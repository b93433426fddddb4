import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { envName, findConfig, SHARED_SETTINGS } from "../../src/cli/settings.js";
import { root, runCli } from "./run-cli.js";

const example = join(root, "examples/small-run.jsonl");

/** A scratch project directory holding `files`, with a subdirectory to run in (the file is found upwards). */
function project(files: Record<string, string>): { top: string; sub: string } {
  const top = mkdtempSync(join(tmpdir(), "rftfm-config-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(top, name), text);
  const sub = join(top, "runs", "today");
  mkdirSync(sub, { recursive: true });
  return { top, sub };
}

describe("shared settings: flag > RFTFM_* > config file > default (issue 13, CLI conventions)", () => {
  it("reads rftfm.config.json from a directory above, its per-command table over its top level", () => {
    const { sub } = project({
      "rftfm.config.json": JSON.stringify({
        "fail-on": "ingest",
        scan: { "fail-on": ["alarm"], json: true },
        watch: { settle: 5 },
        fingerprints: { learn: { split: "all" } },
      }),
    });
    const r = runCli(["scan", example], { cwd: sub });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/1 run raised an alarm \(--fail-on alarm\)/);
    expect(r.stdout.split("\n")[0]).toMatch(/^\{"run":"demo-healthy"/);
  });

  it("reads [tool.rftfm] of pyproject.toml, snake_case keys included, and skips a pyproject.toml without it", () => {
    const { top, sub } = project({ "pyproject.toml": '[tool.rftfm]\nfail_on = ["alarm"]\nbackend = "wasm"\n' });
    writeFileSync(join(top, "runs", "pyproject.toml"), '[project]\nname = "trainer"\n');
    const r = runCli(["scan", example], { cwd: sub, env: { RFTFM_BACKEND: "" } });
    expect(r.stdout).toMatch(/\(backend: wasm\)/);
    expect(r.status).toBe(1);
  });

  it("lets the environment beat the file and the flag beat both", () => {
    const { sub } = project({ "rftfm.config.json": JSON.stringify({ "fail-on": "alarm", backend: "wasm" }) });
    expect(runCli(["scan", example], { cwd: sub }).status).toBe(1);
    expect(runCli(["scan", example], { cwd: sub, env: { RFTFM_FAIL_ON: "ingest" } }).status).toBe(0);
    expect(runCli(["scan", example, "--fail-on", "alarm"], { cwd: sub, env: { RFTFM_FAIL_ON: "ingest" } }).status).toBe(
      1,
    );
    const native = runCli(["scan", example], { cwd: sub, env: { RFTFM_BACKEND: "native", RFTFM_FAIL_ON: "halt" } });
    expect(native.stdout).toMatch(/\(backend: native\)/);
    expect(
      runCli(["scan", example, "--backend", "wasm"], { cwd: sub, env: { RFTFM_BACKEND: "native" } }).stdout,
    ).toMatch(/\(backend: wasm\)/);
  });

  it("reads flags from the environment (RFTFM_JSON=1, RFTFM_PRIOR=false) and refuses a value that is not one", () => {
    const { sub } = project({});
    expect(runCli(["scan", example], { cwd: sub, env: { RFTFM_JSON: "1" } }).stdout).toMatch(/^\{"run":"demo-healthy"/);
    const bad = runCli(["scan", example], { cwd: sub, env: { RFTFM_PRIOR: "maybe" } });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/RFTFM_PRIOR=maybe: expected 1, true/);
  });

  it("refuses, with status 2 and the file's name, an unknown setting, a bad value, and a file that does not parse", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ "rftfm.config.json": '{"fial-on":"alarm"}' }, /rftfm\.config\.json: fial-on is not a setting or command/],
      [{ "rftfm.config.json": '{"wacth":{"settle":1}}' }, /rftfm\.config\.json: wacth is not a setting or command/],
      [{ "rftfm.config.json": '{"fail-on":"sometimes"}' }, /rftfm\.config\.json: fail-on: sometimes is not one of/],
      [{ "rftfm.config.json": '{"poll":-5}' }, /rftfm\.config\.json: poll: expected a number of milliseconds/],
      [{ "rftfm.config.json": '{"json":"yes"}' }, /rftfm\.config\.json: json: expected true or false/],
      [{ "rftfm.config.json": "{oops" }, /rftfm\.config\.json: not valid JSON/],
      [{ "pyproject.toml": "[tool.rftfm\nx=" }, /pyproject\.toml: not valid TOML/],
    ];
    for (const [files, message] of cases) {
      const { sub } = project(files);
      const r = runCli(["watch", "x.log", "--once"], { cwd: sub });
      expect(r.status, String(message)).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it("names every setting's variable RFTFM_<NAME>, and RFTFM_CONFIG names a file outright", () => {
    expect(SHARED_SETTINGS.map(envName)).toContain("RFTFM_FAIL_ON");
    expect(envName("idle-exit")).toBe("RFTFM_IDLE_EXIT");
    const { top } = project({ "team.json": '{"strict": true}' });
    expect(findConfig(tmpdir(), { RFTFM_CONFIG: join(top, "team.json") })?.settings).toEqual({ strict: true });
    expect(() => findConfig(tmpdir(), { RFTFM_CONFIG: join(top, "absent.json") })).toThrow(/no such file/);
  });
});
