import type { BackendName, Kernels } from "./kernel.js";
import { loadNativeKernels } from "./native.js";
import { loadWasmKernels } from "./wasm.js";

/** Environment variable that forces one backend: `native` or `wasm`. */
export const BACKEND_ENV = "RFTFM_BACKEND";

export interface SelectOptions {
  /** Which backend to use; `auto` (the default) tries native, then wasm. */
  prefer?: BackendName | "auto";
  /** Injectable loaders, so the fallback can be tested without breaking a build. */
  loadNative?: () => Kernels;
  loadWasm?: () => Kernels;
  /** Where the one fallback warning goes (default: `process.emitWarning`). */
  warn?: (message: string) => void;
}

/**
 * Reads `RFTFM_BACKEND`; unset or empty means `auto`. A value that names no
 * backend (`gpu`) must not make the library impossible to import: it is
 * reported through `warn` and read as `auto`.
 */
export function preferenceFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = defaultWarn,
): BackendName | "auto" {
  const value = env[BACKEND_ENV]?.trim().toLowerCase();
  if (!value || value === "auto") return "auto";
  if (value === "native" || value === "wasm") return value;
  warn(`rftfm: ${BACKEND_ENV}=${env[BACKEND_ENV]} is not a backend (use native, wasm or auto); using auto`);
  return "auto";
}

const warned = new Set<string>();

/** `process.emitWarning`, once per message: the package and the CLI both read the environment. */
function defaultWarn(message: string, code = "RFTFM_BACKEND"): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { code });
}

/**
 * What the package's own loaders chose, per preference: the package selects once at
 * import and the CLI again for its `--backend`; both get the same kernels, and the
 * fallback warning is printed once per process, not once per selection.
 */
const chosen = new Map<string, Kernels>();

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : "";
  return error.message.split("\n")[0] + cause;
}

/**
 * Picks the kernels: native by default; when the addon cannot load (not built,
 * another platform, ABI or layout mismatch) the wasm build, after one warning
 * that names the reason. A forced backend that cannot load throws.
 */
export function selectKernels(options: SelectOptions = {}): Kernels {
  const prefer = options.prefer ?? "auto";
  if (!options.loadNative && !options.loadWasm) {
    const known = chosen.get(prefer);
    if (known) return known;
    const kernels = selectWith(prefer, options);
    chosen.set(prefer, kernels);
    if (prefer === "auto") chosen.set(kernels.name, kernels);
    return kernels;
  }
  return selectWith(prefer, options);
}

function selectWith(prefer: BackendName | "auto", options: SelectOptions): Kernels {
  const loadNative = options.loadNative ?? (() => loadNativeKernels());
  const loadWasm = options.loadWasm ?? (() => loadWasmKernels());
  const warn = options.warn ?? ((m: string) => defaultWarn(m, "RFTFM_NATIVE_UNAVAILABLE"));

  if (prefer === "wasm") return loadWasm();
  let nativeError: unknown;
  try {
    return loadNative();
  } catch (error) {
    if (prefer === "native") {
      throw new Error(`rftfm: ${BACKEND_ENV}=native but the native addon cannot load: ${describe(error)}`, {
        cause: error,
      });
    }
    nativeError = error;
  }
  try {
    const kernels = loadWasm();
    warn(`rftfm: native addon unavailable (${describe(nativeError)}); using the WebAssembly backend`);
    return kernels;
  } catch (wasmError) {
    throw new AggregateError(
      [nativeError, wasmError],
      `rftfm: no backend can load. native: ${describe(nativeError)}; wasm: ${describe(wasmError)}`,
    );
  }
}
