/**
 * The package's kernels, chosen once when first imported: the native addon,
 * or the WebAssembly build when the addon cannot load (one warning names the
 * reason), or the one `RFTFM_BACKEND=native|wasm` forces.
 */

import type { Kernels } from "./kernel.js";
import { preferenceFromEnv, selectKernels } from "./load.js";

export const kernels: Kernels = selectKernels({ prefer: preferenceFromEnv() });
