// The module's exports for src/backend/wasm.ts and wasm-detect.ts (the
// counterpart of native/src/lib.rs and native/src/binding/; the folders mirror
// native/src: scan/ the trajectory scanner, detect/ the detectors, generated/
// the layouts). Everything lives in unmanaged linear memory: the JS side
// allocates a batch's buffers with `alloc`, fills them through typed-array
// views, calls `scanBatch` and `free`s them; detector banks, series scorers,
// prior tables and fingerprint sets are blocks it allocates the same way.

// @ts-ignore: ~lib is AssemblyScript's standard library, resolved by asc only.
import { BLOCK_MAXSIZE } from "~lib/rt/common";
import { LAYOUT_VERSION } from "./generated/layout";
import { DETECT_VERSION } from "./generated/detect";
import { SERIES_BYTES } from "./detect/series";

export { featureCount, scanBatch } from "./scan/mod";

/** Allocates `bytes` bytes of uninitialised memory, 16-byte aligned (the TLSF
 *  allocator's alignment); may grow memory. Returns 0 for a request beyond the
 *  allocator's largest block, which would otherwise trap (the module is built
 *  with `abort=`, so failures trap instead of calling an import). Running out
 *  of memory while growing still traps. */
export function alloc(bytes: usize): usize {
  if (bytes > BLOCK_MAXSIZE) return 0;
  return heap.alloc(bytes);
}

/** Frees a block returned by `alloc`. The JS side guards against double frees:
 *  with assertions compiled out the allocator does not check. */
export function free(ptr: usize): void {
  heap.free(ptr);
}

/** Version of layout/scan.json the module was built with. */
export function layoutVersion(): i32 {
  return LAYOUT_VERSION;
}

// The streaming detectors (wasm/assembly/detect, mirroring native/src/detect).
export { invalidOption as detectInvalidOption } from "./detect/mod";
export { bankBytes, bankCheck, bankEvict, bankInit, bankPush, bankRuns } from "./detect/bank";
export { seriesInit, seriesScore } from "./detect/series";
export { priorAccumulate, priorCheck, priorInit, priorScore } from "./detect/prior";
export { matcherCheck, matcherInit, matcherMatch } from "./detect/fingerprint";
export { trendLayoutVersion, trendStep } from "./detect/trend";

/** Version of layout/detect.json the module was built with. */
export function detectLayoutVersion(): i32 {
  return DETECT_VERSION;
}

/** Bytes of a series scorer (seriesInit). */
export function seriesBytes(): usize {
  return SERIES_BYTES;
}
