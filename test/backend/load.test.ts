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
    expect(() => preferenceFromEnv({ RFTFM_BACKEND: "gpu" })).toThrow(/not a backend/);
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
