import type { Kernels } from "../../src/backend/kernel.js";
import { loadNativeKernels } from "../../src/backend/native.js";
import { loadWasmKernels } from "../../src/backend/wasm.js";

/**
 * Both backends, loaded explicitly (not through the auto-selection), so every
 * kernel test runs against each. Both must be built: a missing build fails the
 * suite rather than skipping half of it.
 */
export const backends: Kernels[] = [loadNativeKernels(), loadWasmKernels()];
