/**
 * What the AssemblyScript module exports, as asc declares it: `npm run
 * build:wasm` compiles wasm/assembly/index.ts with `--bindings raw`
 * (wasm/asconfig.json), which writes `wasm/build/rftfm.d.ts` beside the module
 * (a build product, not committed; the build comes before the typecheck, as for
 * the native addon's `binding.d.ts`). A new export needs no signature typed
 * here: its parameters and results come from the AssemblyScript source. What
 * each export does is documented there (wasm/assembly/index.ts and the
 * modules it re-exports).
 *
 * Addresses are byte offsets into `memory`, u32 in wasm: passed in as numbers
 * below 2^32, they come back as i32, negative above 2 GiB.
 */
type AscExports = Awaited<ReturnType<typeof import("../../wasm/build/rftfm.js").instantiate>>;

/** The module's memory. asc types it as `WebAssembly.Memory`, which the project's type libraries do not declare. */
export interface WasmMemory {
  /** Replaced by a new ArrayBuffer (the old one detached) whenever memory grows. */
  readonly buffer: ArrayBuffer;
}

/** The exports of the AssemblyScript module (wasm/assembly/index.ts). */
export type WasmExports = Omit<AscExports, "memory"> & { readonly memory: WasmMemory };
