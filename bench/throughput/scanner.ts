/**
 * Scanner throughput: the native and wasm kernels on an already packed batch
 * (the boundary crossing plus the computation), beside (a) the memory roofline,
 * a read-once sum in Rust over the very same values buffer (`loadNativeRoofline`,
 * a bench aid), and (b) the plain TypeScript statement of the same features
 * (test/oracle/scan.ts, the kernels' test oracle).
 *
 * Every figure counts the batch's f64 values (B rows x 15 canonical value
 * columns per step; the 16th column, `group`, is read as int32 besides) and
 * GB/s counts those values' bytes, so the kernels and the roofline share one numerator.
 */
import { loadNativeKernels, loadNativeRoofline, loadWasmKernels, packTensors } from "../../src/index.js";
import { oracleFeatures } from "../../test/oracle/scan.js";
import { syntheticSteps } from "../synthetic.js";
import type { CaseContext, CaseResult, Measurement, ThroughputCase } from "./measurement.js";
import { type Rate, rateOf } from "./timing.js";

/** Trajectories per step. */
export const SCANNER_SIZES = [64, 1024, 16384];
const QUICK_SIZES = [64, 256];
/** Steps per kernel call, as a telemetry scan batches them. */
const STEPS_PER_CALL = 16;

/** Keeps results observable so the optimiser cannot drop the work. */
let sink = 0;

export function scannerName(rows: number): string {
  return `scanner B=${rows}`;
}

async function run({ quick, log }: CaseContext): Promise<CaseResult> {
  const roofline = loadNativeRoofline();
  const backends = [loadNativeKernels(), loadWasmKernels()];
  const measurements: Measurement[] = [];
  for (const rows of quick ? QUICK_SIZES : SCANNER_SIZES) {
    const steps = syntheticSteps(quick ? 2 : STEPS_PER_CALL, rows);
    const tensors = steps.map((s) => s.trajectories);
    const name = scannerName(rows);
    const record = (backend: string, rate: Rate, values: number) => {
      measurements.push(
        { name, backend, unit: "values/s", value: rate.hz * values, rme: rate.rme },
        { name, backend, unit: "GB/s", value: (rate.hz * values * 8) / 1e9, rme: rate.rme },
      );
      log(
        `  ${name} ${backend.padEnd(10)} ${((rate.hz * values) / 1e6).toFixed(1).padStart(9)} M values/s  ±${rate.rme.toFixed(1)}%`,
      );
    };
    for (const kernels of backends) {
      const { batch } = packTensors(kernels, tensors);
      const values = batch.values.length;
      record(
        kernels.name,
        rateOf(
          `${name} ${kernels.name}`,
          () => {
            kernels.scan(batch);
            sink += batch.out[0];
          },
          quick,
        ),
        values,
      );
      if (kernels.name === "native") {
        record(
          "rust",
          rateOf(
            `${name} roofline`,
            () => {
              sink += roofline(batch.values);
            },
            quick,
          ),
          values,
        );
      }
      kernels.freeBatch(batch);
    }
    const values = rows * steps.length * (tensors[0].columns.size - 1);
    record(
      "typescript",
      rateOf(
        `${name} typescript`,
        () => {
          for (const t of tensors) sink += oracleFeatures(t).rows;
        },
        quick,
      ),
      values,
    );
  }
  if (sink === 0.5) log(String(sink));
  return { measurements, skipped: {} };
}

export const scannerCase: ThroughputCase = { name: "scanner", run };
