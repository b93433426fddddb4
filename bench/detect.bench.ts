/**
 * `npm run bench:detect`: detector bank throughput, native vs wasm. Pushes
 * 2,000,000 observations (200 runs x 10 signals, noise with shifts and spikes)
 * in batches of 10,000, the way a monitor would push a step's signals for many runs.
 */
import { DETECT_OUTPUTS, type Kernels, loadNativeKernels, loadWasmKernels } from "../src/index.js";
import { seededRandom } from "./random.js";

const RUNS = 200;
const SIGNALS = 10;
const TOTAL = 2_000_000;
const BATCH = 10_000;

const random = seededRandom(1);
const runs = new Uint32Array(TOTAL);
const signals = new Uint32Array(TOTAL);
const values = new Float64Array(TOTAL);
for (let i = 0; i < TOTAL; i++) {
  runs[i] = Math.floor(i / SIGNALS) % RUNS;
  signals[i] = i % SIGNALS;
  values[i] = random.normal() + (random.uniform() < 0.001 ? 10 : 0) + (i > TOTAL / 2 && runs[i] % 7 === 0 ? 3 : 0);
}

function throughput(kernels: Kernels): number {
  const bank = kernels.detectors.createBank({ max_runs: RUNS, max_signals: SIGNALS });
  const outputs = new Float64Array(BATCH * DETECT_OUTPUTS.length);
  const flags = new Int32Array(BATCH);
  const started = performance.now();
  for (let i = 0; i < TOTAL; i += BATCH) {
    bank.push(
      runs.subarray(i, i + BATCH),
      signals.subarray(i, i + BATCH),
      values.subarray(i, i + BATCH),
      outputs,
      flags,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  bank.free();
  return TOTAL / seconds;
}

const results = [loadNativeKernels(), loadWasmKernels()].map((k) => {
  throughput(k); // warm-up
  const best = Math.max(throughput(k), throughput(k), throughput(k));
  console.log(`${k.name.padEnd(6)} ${(best / 1e6).toFixed(1)} M observations/s (bank push, batches of ${BATCH})`);
  return best;
});
console.log(`native / wasm: ${(results[0] / results[1]).toFixed(2)}x`);
