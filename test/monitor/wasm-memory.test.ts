/**
 * Issue 13, item 13: on wasm a Monitor never close()d kept its detector bank
 * (~0.86 MB at the default 256 runs) for good; at ~4800 of them linear memory
 * (4 GiB) ran out, the next constructor failed, and the monitors still alive
 * could no longer scan. Now a dropped monitor's blocks are freed when it is
 * collected (FinalizationRegistry), and the blocks live objects hold are
 * bounded below the address space, so one monitor too many fails alone and the
 * live ones keep scanning. Wasm only: the addon's memory is the GC's already.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { loadWasmKernels } from "../../src/backend/wasm.js";
import { Monitor } from "../../src/monitor/monitor.js";
import type { StepInput } from "../../src/verdict/input.js";

// A full collection on demand, so the test does not wait on the collector's mood.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Collects, then lets the finalization callbacks run (they are queued as tasks). */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

const step = (run: string, n: number): StepInput => ({
  run,
  step: n,
  metrics: { reward_mean: 0.5, entropy: 0.8 },
  trajectories: { reward: [1, 0, 0, 1], length: [10, 20, 30, 40] },
});

/** A monitor used once and dropped without close(); its verdict's errors. Nothing refers to it afterwards. */
function useAndDrop(options: ConstructorParameters<typeof Monitor>[0], i: number): string[] | undefined {
  return new Monitor(options).observe(step(`r${i}`, 0)).errors;
}

describe("wasm: monitors never closed (issue 13, item 13)", () => {
  it("a dropped monitor's memory comes back after collection: 320 of 13.6 MiB each (4.2 GiB) leave the live one scanning", async () => {
    const kernels = loadWasmKernels();
    const quiet = { kernels, onError: () => {} };
    // 4096 runs: a 13.6 MiB bank each, so 4 GiB of linear memory holds about 300 of them.
    const options = { ...quiet, maxRuns: 4096 };
    const live = new Monitor(options);
    expect(live.observe(step("live", 0)).errors).toBeUndefined();
    const bank = Buffer.from(live.snapshot().bank, "base64").length;
    expect(320 * bank).toBeGreaterThan(2 ** 32);
    const one = kernels.detectors.heldBytes;
    for (let i = 0; i < 320; i++) {
      expect(useAndDrop(options, i)).toBeUndefined();
      if (i % 20 === 19) await collect();
    }
    await collect();
    // Only the live monitor's blocks are held, and it still scans.
    expect(one).toBeGreaterThanOrEqual(bank);
    expect(kernels.detectors.heldBytes).toBe(one);
    expect(live.observe(step("live", 1)).errors).toBeUndefined();
    live.close();
    expect(kernels.detectors.heldBytes).toBe(0);
    // close() twice is harmless; a closed monitor is not freed again at collection.
    live.close();
    await collect();
    expect(kernels.detectors.heldBytes).toBe(0);
  });

  it("one monitor too many fails alone, with what to do; the live ones keep scanning", () => {
    // A bound of 16 banks' worth, so the test need not fill 2 GiB.
    const probe = loadWasmKernels();
    const probeMonitor = new Monitor({ kernels: probe, onError: () => {} });
    const perMonitor = probe.detectors.heldBytes ?? 0;
    probeMonitor.close();
    const kernels = loadWasmKernels(undefined, { heldBytes: 16 * perMonitor + perMonitor / 2 });
    const quiet = { kernels, onError: () => {} };
    const live: Monitor[] = [];
    let refusal: unknown;
    for (let i = 0; i < 100 && refusal === undefined; i++) {
      try {
        live.push(new Monitor(quiet));
      } catch (err) {
        refusal = err;
      }
    }
    expect(live).toHaveLength(16);
    expect(refusal).toBeInstanceOf(RangeError);
    expect((refusal as Error).message).toMatch(
      /the WebAssembly backend already holds .* MiB of detector state.*close\(\) the monitors you are done with/,
    );
    // The refused constructor gave back what it had taken: exactly the live monitors' blocks are held.
    expect(kernels.detectors.heldBytes).toBe(16 * perMonitor);
    for (const [i, m] of live.entries()) {
      const v = m.observeBatch([step(`a${i}`, 0), step(`b${i}`, 0)]);
      expect(v.map((x) => x.errors)).toEqual([undefined, undefined]);
    }
    // Room made by close() is room for a new monitor.
    live.pop()?.close();
    live.push(new Monitor(quiet));
    for (const m of live) m.close();
    expect(kernels.detectors.heldBytes).toBe(0);
  });
});
