import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CANONICAL_COLUMNS, COLUMN_STATS, LAYOUT_VERSION, STEP_FEATURES } from "../../src/backend/generated/layout.js";
import { type BatchShape, type Kernels, SCAN_SHAPE_ERROR, type ScanBatch } from "../../src/backend/kernel.js";
import { loadNativeKernels } from "../../src/backend/native.js";
import { loadWasmKernels } from "../../src/backend/wasm.js";

const C = CANONICAL_COLUMNS.length;
const REWARD = CANONICAL_COLUMNS.indexOf("reward");
const feature = (column: number, stat: (typeof COLUMN_STATS)[number]) =>
  STEP_FEATURES.length + column * COLUMN_STATS.length + COLUMN_STATS.indexOf(stat);

/** One step of `rows` rows with only the reward column present, set to `rewards`. */
function fillRewards(batch: ScanBatch, rewards: number[]) {
  batch.offsets.set([0, rewards.length]);
  batch.values.set(rewards, REWARD * batch.rows);
  batch.present[REWARD] = 1;
}

describe("wasm backend loading", () => {
  it("loads the built module with the package's layout", () => {
    const kernels = loadWasmKernels();
    expect(kernels.name).toBe("wasm");
    expect(kernels.layoutVersion).toBe(LAYOUT_VERSION);
    expect(kernels.featureCount(C + 2)).toBe(STEP_FEATURES.length + (C + 2) * COLUMN_STATS.length);
  });

  it("says how to build the module when it is missing", () => {
    expect(() => loadWasmKernels(join(tmpdir(), "no-such-dir", "rftfm.wasm"))).toThrow(
      /WebAssembly backend is not built: .*rftfm\.wasm is missing; run npm run build:wasm/,
    );
  });

  it("refuses a module built from another feature layout", () => {
    // A hand-assembled module whose only export is `layoutVersion() -> 999`.
    const module = Uint8Array.from([
      ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // magic, version 1
      ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f], // type section: () -> i32
      ...[0x03, 0x02, 0x01, 0x00], // function section: one function of type 0
      ...[0x07, 0x11, 0x01, 0x0d, ...Buffer.from("layoutVersion"), 0x00, 0x00], // export section
      ...[0x0a, 0x07, 0x01, 0x05, 0x00, 0x41, 0xe7, 0x07, 0x0b], // code section: i32.const 999
    ]);
    const path = join(mkdtempSync(join(tmpdir(), "rftfm-wasm-")), "old.wasm");
    writeFileSync(path, module);
    expect(() => loadWasmKernels(path)).toThrow(/built for feature layout v999, this package expects v\d+/);
  });
});

describe("wasm batches", () => {
  const kernels = loadWasmKernels();

  it("are zero-filled, even where a freed batch left data", () => {
    const shape: BatchShape = { columns: C, steps: 3, rows: 10 };
    const dirty = kernels.allocBatch(shape);
    for (const view of [dirty.values, dirty.groups, dirty.prompts, dirty.offsets, dirty.present, dirty.out])
      view.fill(7);
    kernels.freeBatch(dirty);
    const clean = kernels.allocBatch(shape);
    for (const view of [clean.values, clean.groups, clean.prompts, clean.offsets, clean.present, clean.out]) {
      expect(view.every((x) => x === 0)).toBe(true);
    }
    expect([
      clean.values.length,
      clean.groups.length,
      clean.prompts.length,
      clean.offsets.length,
      clean.present.length,
    ]).toEqual([C * 10, 10, 10, 4, 3 * (C + 2)]);
    expect(clean.out.length).toBe(3 * kernels.featureCount(C));
    kernels.freeBatch(clean);
  });

  it("stay valid when a later allocation grows memory", () => {
    const small = kernels.allocBatch({ columns: C, steps: 1, rows: 4 });
    fillRewards(small, [1, 2, 3, 4]);
    const stale = small.values;
    // 16 columns x 2^19 rows of f64: 64 MiB, far beyond the module's initial memory.
    const huge = kernels.allocBatch({ columns: C + 1, steps: 1, rows: 1 << 19 });
    expect(stale.length).toBe(0); // growth detached the old views...
    expect(small.values.subarray(REWARD * 4, REWARD * 4 + 4)).toEqual(Float64Array.from([1, 2, 3, 4])); // ...not the data

    small.values[REWARD * 4 + 3] = 8;
    kernels.scan(small);
    expect(small.out[feature(REWARD, "mean")]).toBe(3.5);
    expect(small.out[feature(REWARD, "max")]).toBe(8);

    huge.offsets[1] = huge.rows;
    huge.present[REWARD] = 1;
    huge.values[REWARD * huge.rows + huge.rows - 1] = 5;
    kernels.scan(huge);
    expect(huge.out[feature(REWARD, "max")]).toBe(5);
    kernels.freeBatch(huge);
    kernels.freeBatch(small);
  });

  it("read prompt ids in place, in their own slot after the group column's", () => {
    const batch = kernels.allocBatch({ columns: C, steps: 2, rows: 6 });
    const share = STEP_FEATURES.indexOf("group.prompt_mismatch_share");
    try {
      batch.offsets.set([0, 3, 6]);
      batch.groups.set([1, 1, 2, 1, 1, 1]);
      batch.prompts.set([5, 6, 7, 5, 5, 5]);
      const slots = C + 2;
      batch.present[C] = 1; // step 0: groups and prompt ids
      batch.present[C + 1] = 1;
      batch.present[slots + C] = 1; // step 1: groups only
      kernels.scan(batch);
      const width = kernels.featureCount(C);
      expect(batch.out[share]).toBe(0.5); // group 1 mixes prompts 5 and 6, group 2 does not
      expect(batch.out[width + share]).toBeNaN();
    } finally {
      kernels.freeBatch(batch);
    }
  });

  it("cannot be used after they are freed", () => {
    const batch = kernels.allocBatch({ columns: C, steps: 1, rows: 1 });
    kernels.freeBatch(batch);
    const freed = /wasm batch was already freed/;
    expect(() => kernels.freeBatch(batch)).toThrow(freed);
    expect(() => batch.values).toThrow(freed);
    expect(() => kernels.scan(batch)).toThrow(freed);
  });

  it("belong to the instance that allocated them", () => {
    const other = loadWasmKernels().allocBatch({ columns: C, steps: 1, rows: 1 });
    const foreign = /not allocated by this wasm kernels instance/;
    expect(() => kernels.scan(other)).toThrow(foreign);
    expect(() => kernels.freeBatch(other)).toThrow(foreign);
    const { columns, steps, rows, values, groups, prompts, offsets, present, out } = other;
    const lookalike: ScanBatch = { columns, steps, rows, values, groups, prompts, offsets, present, out };
    expect(() => kernels.scan(lookalike)).toThrow(foreign);
  });

  it("reject shapes that are not i32 counts or exceed one allocation", () => {
    expect(() => kernels.allocBatch({ columns: C, steps: -1, rows: 1 })).toThrow(RangeError);
    expect(() => kernels.allocBatch({ columns: C, steps: 1, rows: 1.5 })).toThrow(/rows must be an integer/);
    // Enough columns to overflow the module's i32 feature count, on an otherwise empty batch.
    expect(() => kernels.allocBatch({ columns: 2 ** 30, steps: 0, rows: 0 })).toThrow(/columns must be an integer/);
    expect(() => kernels.allocBatch({ columns: C, steps: 1, rows: 1 << 28 })).toThrow(/too large/);
    // 17 columns x 2^23 rows of f64 is 1.06 GiB, just beyond the allocator's largest block.
    expect(() => kernels.allocBatch({ columns: 17, steps: 1, rows: 1 << 23 })).toThrow(/too large/);
  });
});

describe("wasm shape errors", () => {
  const kernels = loadWasmKernels();

  /** The message scanning a batch of `shape` with `offsets` fails with. */
  function shapeError(k: Kernels, shape: BatchShape, offsets: number[]): string {
    const batch = k.allocBatch(shape);
    batch.offsets.set(offsets);
    try {
      k.scan(batch);
    } catch (error) {
      return (error as Error).message;
    } finally {
      k.freeBatch(batch);
    }
    throw new Error("scan accepted a malformed batch");
  }

  const cases: [string, BatchShape, number[], string][] = [
    [
      "too few columns",
      { columns: 3, steps: 1, rows: 2 },
      [0, 2],
      `columns is 3, at least the ${C} canonical columns are required`,
    ],
    ["offsets not from 0", { columns: C, steps: 2, rows: 4 }, [1, 2, 4], "offsets must run from 0 to rows (4)"],
    ["offsets not to rows", { columns: C, steps: 2, rows: 4 }, [0, 2, 3], "offsets must run from 0 to rows (4)"],
    ["decreasing offsets", { columns: C, steps: 3, rows: 4 }, [0, 3, 1, 4], "offsets decrease at step 1"],
  ];

  it.each(cases)("reports %s", (_, shape, offsets, problem) => {
    expect(shapeError(kernels, shape, offsets)).toBe(`${SCAN_SHAPE_ERROR}: ${problem}`);
  });

  it("are worded as the native backend words them", () => {
    const native = loadNativeKernels();
    for (const [, shape, offsets] of cases) {
      expect(shapeError(kernels, shape, offsets)).toBe(shapeError(native, shape, offsets));
    }
  });

  it("leave the instance usable", () => {
    shapeError(kernels, { columns: C, steps: 1, rows: 2 }, [0, 3]);
    const batch = kernels.allocBatch({ columns: C, steps: 1, rows: 2 });
    fillRewards(batch, [2, 4]);
    kernels.scan(batch);
    expect(batch.out[feature(REWARD, "mean")]).toBe(3);
    kernels.freeBatch(batch);
  });
});
