import { createRequire } from "node:module";
import { join } from "node:path";
import { LAYOUT_VERSION } from "./generated/layout.js";
import type { BatchShape, Kernels, ScanBatch } from "./kernel.js";
import { packageRoot } from "./package-root.js";

/** What the napi-rs addon exports (native/src/binding.rs). */
interface NativeBinding {
  layoutVersion(): number;
  featureCount(columns: number): number;
  scanBatch(
    values: Float64Array,
    groups: Int32Array,
    offsets: Uint32Array,
    present: Uint8Array,
    columns: number,
    out: Float64Array,
  ): void;
}

/**
 * Loads the napi-rs addon through the loader napi-rs generated
 * (`native/binding.cjs`, which picks the `.node` file for this platform).
 * Throws when the addon is missing, built for another platform or ABI, or built
 * from another feature layout.
 */
export function loadNativeKernels(bindingPath = join(packageRoot(), "native", "binding.cjs")): Kernels {
  const binding = createRequire(import.meta.url)(bindingPath) as NativeBinding;
  const layoutVersion = binding.layoutVersion();
  if (layoutVersion !== LAYOUT_VERSION) {
    throw new Error(
      `the native addon was built for feature layout v${layoutVersion}, this package expects v${LAYOUT_VERSION}; rebuild it with npm run build:native`,
    );
  }
  const featureCount = (columns: number) => binding.featureCount(columns);
  return {
    name: "native",
    layoutVersion,
    featureCount,
    allocBatch: (shape) => heapBatch(shape, featureCount(shape.columns)),
    freeBatch: () => {},
    scan: (b) => binding.scanBatch(b.values, b.groups, b.offsets, b.present, b.columns, b.out),
  };
}

/** A batch in ordinary GC-owned typed arrays; Rust borrows them as slices. */
function heapBatch(shape: BatchShape, features: number): ScanBatch {
  const { columns, steps, rows } = shape;
  return {
    columns,
    steps,
    rows,
    values: new Float64Array(columns * rows),
    groups: new Int32Array(rows),
    offsets: new Uint32Array(steps + 1),
    present: new Uint8Array(steps * (columns + 1)),
    out: new Float64Array(steps * features),
  };
}
