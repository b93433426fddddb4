import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkScanBatch, refused } from "./checks.js";
import { DETECT_VERSION } from "./generated/detect.js";
import { SCAN_SHAPE_ERROR } from "./generated/errors.js";
import { COLUMN_STATS, LAYOUT_VERSION, STEP_FEATURES } from "./generated/layout.js";
import { type BatchShape, type DetectorKernels, type Kernels, presenceSlots, type ScanBatch } from "./kernel.js";
import { packageRoot } from "./package-root.js";
import { wasmDetectors } from "./wasm-detect.js";
import type { WasmExports, WasmMemory } from "./wasm-exports.js";

/**
 * The slice of the WebAssembly JS API used here: Node provides the global, but
 * the project's type libraries (ES2023, @types/node 20) do not declare it.
 */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
  RuntimeError: new () => Error;
};

/** wasm32 addresses are u32: a larger request would wrap when passed to `alloc`. */
const ADDRESS_SPACE = 2 ** 32;
const I32_MAX = 2 ** 31 - 1;

/**
 * Loads the AssemblyScript build of the kernels, synchronously (the module is a
 * few KiB). Throws when the build is missing or was built from another feature
 * layout.
 */
export function loadWasmKernels(
  wasmPath = join(packageRoot(), "wasm", "build", "rftfm.wasm"),
  options: WasmOptions = {},
): Kernels {
  if (!existsSync(wasmPath)) {
    throw new Error(`the WebAssembly backend is not built: ${wasmPath} is missing; run npm run build:wasm`);
  }
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  // The module imports nothing: it is built with `abort=`, so failures trap.
  const wasm = new WebAssembly.Instance(module, {}).exports as unknown as WasmExports;
  const layoutVersion = wasm.layoutVersion();
  if (layoutVersion !== LAYOUT_VERSION) {
    throw new Error(
      `the WebAssembly backend was built for feature layout v${layoutVersion}, this package expects v${LAYOUT_VERSION}; rebuild it with npm run build:wasm`,
    );
  }
  const detectVersion = wasm.detectLayoutVersion();
  if (detectVersion !== DETECT_VERSION) {
    throw new Error(
      `the WebAssembly backend was built for detector layout v${detectVersion}, this package expects v${DETECT_VERSION}; rebuild it with npm run build:wasm`,
    );
  }
  return new WasmKernels(wasm, layoutVersion, options.heldBytes);
}

export interface WasmOptions {
  /** Most bytes live detector objects (banks, prior tables, ...) may hold at once (default 2 GiB; wasm-held.ts). */
  heldBytes?: number;
}

class WasmKernels implements Kernels {
  readonly name = "wasm";
  readonly detectors: DetectorKernels;

  constructor(
    private readonly wasm: WasmExports,
    readonly layoutVersion: number,
    heldBytes?: number,
  ) {
    this.detectors = wasmDetectors(wasm, trapsAsErrors, heldBytes);
  }

  featureCount(columns: number): number {
    return this.wasm.featureCount(columns);
  }

  allocBatch(shape: BatchShape): ScanBatch {
    const layout = batchLayout(shape, (columns) => this.featureCount(columns));
    if (layout.bytes >= ADDRESS_SPACE) throw tooLarge(layout.bytes);
    // `>>> 0`: addresses are u32, and an i32 result above 2 GiB reads as negative.
    const ptr = trapsAsErrors("allocating a batch", () => this.wasm.alloc(layout.bytes)) >>> 0;
    if (ptr === 0) throw tooLarge(layout.bytes);
    new Uint8Array(this.wasm.memory.buffer, ptr, layout.bytes).fill(0);
    return new WasmBatch(this.wasm.memory, shape, layout, ptr);
  }

  freeBatch(batch: ScanBatch): void {
    this.wasm.free(this.own(batch).release());
  }

  scan(batch: ScanBatch): void {
    const b = this.own(batch);
    checkScanBatch(b, (columns) => this.featureCount(columns));
    const p = b.addresses();
    const status = trapsAsErrors("scanning a batch", () =>
      this.wasm.scanBatch(p.values, p.groups, p.prompts, p.offsets, p.present, b.columns, b.steps, b.rows, p.out),
    );
    if (status !== 0) refused(SCAN_SHAPE_ERROR, "a batch", status);
  }

  /** The batch as this instance's own; anything else would make the kernels read foreign memory. */
  private own(batch: ScanBatch): WasmBatch {
    if (!(batch instanceof WasmBatch) || !batch.livesIn(this.wasm.memory)) {
      throw new Error("this batch was not allocated by this wasm kernels instance (use its allocBatch)");
    }
    return batch;
  }
}

/** Byte offsets of a batch's buffers within its one block, and the block's size. */
interface BatchLayout {
  /** Features per step (the width of `out`). */
  readonly features: number;
  readonly values: number;
  readonly out: number;
  readonly prompts: number;
  readonly offsets: number;
  readonly groups: number;
  readonly present: number;
  readonly bytes: number;
}

/** The most columns whose feature count the module's i32 arithmetic holds. */
const MAX_COLUMNS = Math.floor((I32_MAX - STEP_FEATURES.length) / COLUMN_STATS.length);

/** f64 buffers first, then 4-byte, then 1-byte ones: every buffer stays aligned without padding. */
function batchLayout(shape: BatchShape, featureCount: (columns: number) => number): BatchLayout {
  const columns = count("columns", shape.columns, MAX_COLUMNS);
  const steps = count("steps", shape.steps);
  const rows = count("rows", shape.rows);
  const features = featureCount(columns);
  const values = 0;
  const out = values + 8 * columns * rows;
  const prompts = out + 8 * steps * features;
  const offsets = prompts + 8 * rows;
  const groups = offsets + 4 * (steps + 1);
  const present = groups + 4 * rows;
  const bytes = present + steps * presenceSlots(columns);
  return { features, values, out, prompts, offsets, groups, present, bytes };
}

/** Shape fields are passed to the module as i32. */
function count(name: keyof BatchShape, value: number, max = I32_MAX): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`batch ${name} must be an integer in [0, ${max}], got ${value}`);
  }
  return value;
}

function tooLarge(bytes: number): Error {
  return new RangeError(`a batch of ${bytes} bytes is too large for the WebAssembly backend (at most about 1 GiB)`);
}

/** Runs a wasm call, turning a trap (the module traps when linear memory cannot grow) into an Error that says so. */
function trapsAsErrors<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (!(error instanceof WebAssembly.RuntimeError)) throw error;
    throw new Error(`the WebAssembly backend failed while ${what} (out of linear memory?): ${error.message}`, {
      cause: error,
    });
  }
}

interface BatchViews {
  readonly buffer: ArrayBuffer;
  readonly values: Float64Array;
  readonly groups: Int32Array;
  readonly prompts: Float64Array;
  readonly offsets: Uint32Array;
  readonly present: Uint8Array;
  readonly out: Float64Array;
}

/**
 * A batch in the module's linear memory. Growing memory detaches the old
 * ArrayBuffer, so the typed arrays are views re-created whenever
 * `memory.buffer` has changed since they were made.
 */
class WasmBatch implements ScanBatch {
  readonly columns: number;
  readonly steps: number;
  readonly rows: number;
  readonly #memory: WasmMemory;
  readonly #layout: BatchLayout;
  /** Address of the batch's block; 0 once freed. */
  #ptr: number;
  #views: BatchViews | undefined;

  constructor(memory: WasmMemory, shape: BatchShape, layout: BatchLayout, ptr: number) {
    this.columns = shape.columns;
    this.steps = shape.steps;
    this.rows = shape.rows;
    this.#memory = memory;
    this.#layout = layout;
    this.#ptr = ptr;
  }

  get values(): Float64Array {
    return this.views().values;
  }
  get groups(): Int32Array {
    return this.views().groups;
  }
  get prompts(): Float64Array {
    return this.views().prompts;
  }
  get offsets(): Uint32Array {
    return this.views().offsets;
  }
  get present(): Uint8Array {
    return this.views().present;
  }
  get out(): Float64Array {
    return this.views().out;
  }

  livesIn(memory: WasmMemory): boolean {
    return this.#memory === memory;
  }

  /** Addresses of the buffers, for scanBatch. */
  addresses(): Omit<BatchLayout, "features" | "bytes"> {
    const ptr = this.live();
    const { values, out, prompts, offsets, groups, present } = this.#layout;
    return {
      values: ptr + values,
      out: ptr + out,
      prompts: ptr + prompts,
      offsets: ptr + offsets,
      groups: ptr + groups,
      present: ptr + present,
    };
  }

  /** Marks the batch freed and returns its block, which the caller frees. */
  release(): number {
    const ptr = this.live();
    this.#ptr = 0;
    this.#views = undefined;
    return ptr;
  }

  private live(): number {
    if (this.#ptr === 0) throw new Error("this wasm batch was already freed (freeBatch); allocate a new one");
    return this.#ptr;
  }

  private views(): BatchViews {
    const ptr = this.live();
    const buffer = this.#memory.buffer;
    if (this.#views?.buffer === buffer) return this.#views;
    const { columns, steps, rows } = this;
    const layout = this.#layout;
    this.#views = {
      buffer,
      values: new Float64Array(buffer, ptr + layout.values, columns * rows),
      out: new Float64Array(buffer, ptr + layout.out, steps * layout.features),
      offsets: new Uint32Array(buffer, ptr + layout.offsets, steps + 1),
      groups: new Int32Array(buffer, ptr + layout.groups, rows),
      prompts: new Float64Array(buffer, ptr + layout.prompts, rows),
      present: new Uint8Array(buffer, ptr + layout.present, steps * presenceSlots(columns)),
    };
    return this.#views;
  }
}
