import type { Kernels } from "../../src/backend/kernel.js";
import { loadNativeKernels } from "../../src/backend/native.js";
import { loadWasmKernels } from "../../src/backend/wasm.js";

/**
 * Both backends, loaded explicitly (not through the auto-selection), so every
 * kernel test runs against each. Both must be built: a missing build fails the
 * suite rather than skipping half of it.
 */
export const backends: Kernels[] = [loadNativeKernels(), loadWasmKernels()];

/** Runs `use` on a kernel object (bank, prior table, matcher) and frees it afterwards, also when `use` throws. */
export function freeing<R extends { free(): void }, T>(resource: R, use: (resource: R) => T): T {
  try {
    return use(resource);
  } finally {
    resource.free();
  }
}

/** The message of what `f` throws (fails the test when it does not throw). */
export function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a throw");
}
