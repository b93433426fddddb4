import { describe, expect, it, vi } from "vitest";
import type { Kernels } from "../../src/backend/kernel.js";
import { preferenceFromEnv, selectKernels } from "../../src/backend/load.js";
import { loadNativeKernels } from "../../src/backend/native.js";

const fake = (name: "native" | "wasm") => ({ name }) as Kernels;
const broken = (message: string) => () => {
  throw new Error(message, { cause: new Error("dlopen: invalid ELF header") });
};

describe("backend selection", () => {
  it("prefers native when it loads, without a warning", () => {
    const warn = vi.fn();
    const k = selectKernels({ loadNative: () => fake("native"), loadWasm: () => fake("wasm"), warn });
    expect(k.name).toBe("native");
    expect(warn).not.toHaveBeenCalled();
  });

  it("falls back to wasm and warns once, naming the reason and its cause", () => {
    const warn = vi.fn();
    const k = selectKernels({ loadNative: broken("Cannot find native binding"), loadWasm: () => fake("wasm"), warn });
    expect(k.name).toBe("wasm");
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/Cannot find native binding.*invalid ELF header.*WebAssembly/);
  });

  it("fails clearly when native is forced and cannot load", () => {
    const loadWasm = vi.fn(() => fake("wasm"));
    expect(() => selectKernels({ prefer: "native", loadNative: broken("ABI mismatch"), loadWasm })).toThrow(
      /RFTFM_BACKEND=native but the native addon cannot load: ABI mismatch/,
    );
    expect(loadWasm).not.toHaveBeenCalled();
  });

  it("uses wasm when forced, without trying native", () => {
    const loadNative = vi.fn(() => fake("native"));
    expect(selectKernels({ prefer: "wasm", loadNative, loadWasm: () => fake("wasm") }).name).toBe("wasm");
    expect(loadNative).not.toHaveBeenCalled();
  });

  it("reports both reasons when neither backend loads", () => {
    expect(() =>
      selectKernels({ loadNative: broken("no addon"), loadWasm: broken("no wasm"), warn: () => {} }),
    ).toThrow(/native: no addon.*wasm: no wasm/);
  });

  it("reads RFTFM_BACKEND", () => {
    expect(preferenceFromEnv({})).toBe("auto");
    expect(preferenceFromEnv({ RFTFM_BACKEND: "WASM" })).toBe("wasm");
    expect(preferenceFromEnv({ RFTFM_BACKEND: "native" })).toBe("native");
  });

  it("reads a value that names no backend as auto, with a warning, so the library still imports", () => {
    const warn = vi.fn();
    expect(preferenceFromEnv({ RFTFM_BACKEND: "gpu" }, warn)).toBe("auto");
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(
      /RFTFM_BACKEND=gpu is not a backend \(use native, wasm or auto\); using auto/,
    );
  });

  it("refuses a path that is not a native addon", () => {
    expect(() => loadNativeKernels("/nonexistent/binding.cjs")).toThrow();
  });
});

describe("the package's default backend", () => {
  it("is the one RFTFM_BACKEND names, native otherwise", async () => {
    const { backend } = await import("../../src/index.js");
    expect(backend).toBe(preferenceFromEnv() === "wasm" ? "wasm" : "native");
  });
});

describe("the package's selection, once per process (issue 13, item 18)", () => {
  it("hands the CLI's second selection the kernels the import chose, so a fallback warns once", async () => {
    const { kernels } = await import("../../src/backend/selected.js");
    expect(selectKernels({ prefer: preferenceFromEnv() })).toBe(kernels);
    expect(selectKernels({ prefer: kernels.name })).toBe(kernels);
  });

  it("prints a bad RFTFM_BACKEND once in the CLI, and the command still runs", async () => {
    const { runCli } = await import("../cli/run-cli.js");
    const r = runCli(["scan", "examples/small-run.jsonl"], { env: { RFTFM_BACKEND: "gpu" } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/run demo-healthy: 40 steps/);
    expect(r.stderr.match(/RFTFM_BACKEND=gpu is not a backend/g)).toHaveLength(1);
  });
});
