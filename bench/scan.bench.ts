/**
 * Trajectory-scanner throughput: native vs wasm vs a plain TypeScript
 * implementation vs a roofline (a loop that only reads every value once), on
 * the same tensors, at small and large B (trajectories per step).
 *
 * Two views of each backend: `kernel` scans an already packed batch (the
 * boundary crossing plus the computation), `pack+kernel` includes writing the
 * step tensors into the batch, which is what a scan of telemetry pays.
 *
 * Run: npm run bench   (figures are trajectories per second, measured in this run)
 */
import Benchmark from "benchmark";
import { loadNativeKernels, loadWasmKernels, packTensors, scanSteps } from "../src/index.js";
import { oracleFeatures } from "../test/oracle/scan.js";
import { syntheticSteps } from "./synthetic.js";

const STEPS_PER_BATCH = 16;
const SIZES = [64, 8192];
const backends = [loadNativeKernels(), loadWasmKernels()];

/** Keeps results observable so the optimiser cannot drop the work. */
let sink = 0;

function roofline(steps: ReturnType<typeof syntheticSteps>): number {
  let sum = 0;
  for (const s of steps)
    for (const column of s.trajectories.columns.values()) for (let i = 0; i < column.length; i++) sum += column[i];
  return sum;
}

async function runSize(rows: number): Promise<void> {
  const steps = syntheticSteps(STEPS_PER_BATCH, rows);
  const trajectories = STEPS_PER_BATCH * rows;
  const suite = new Benchmark.Suite(`B=${rows}`);
  const packed = backends.map((k) => ({
    k,
    p: packTensors(
      k,
      steps.map((s) => s.trajectories),
    ),
  }));

  for (const { k, p } of packed) {
    suite.add(`${k.name} kernel`, () => {
      k.scan(p.batch);
      sink += p.batch.out[0];
    });
  }
  for (const k of backends) {
    suite.add(`${k.name} pack+kernel`, () => {
      sink += scanSteps(k, steps).length;
    });
  }
  suite.add("plain TypeScript", () => {
    for (const s of steps) sink += oracleFeatures(s.trajectories).rows;
  });
  suite.add("roofline (read every value once)", () => {
    sink += roofline(steps);
  });

  const results: { name: string; hz: number; rme: number }[] = [];
  await new Promise<void>((resolve) => {
    suite
      .on("cycle", (event: Benchmark.Event) => {
        const b = event.target as unknown as Benchmark & { name: string };
        results.push({ name: b.name, hz: b.hz ?? 0, rme: b.stats?.rme ?? 0 });
      })
      .on("complete", () => resolve())
      .run({ async: true });
  });
  for (const { k, p } of packed) k.freeBatch(p.batch);

  const native = results.find((r) => r.name === "native kernel")!.hz;
  console.log(
    `\nB = ${rows} trajectories/step, ${STEPS_PER_BATCH} steps per call, ${trajectories} trajectories per call`,
  );
  console.log("case                                  trajectories/s    ±%    vs native kernel");
  for (const r of results) {
    const perSecond = (r.hz * trajectories).toExponential(3).padStart(14);
    const ratio = (r.hz / native).toFixed(3).padStart(10);
    console.log(`${r.name.padEnd(36)}${perSecond}  ${r.rme.toFixed(1).padStart(5)}  ${ratio}`);
  }
}

for (const rows of SIZES) await runSize(rows);
if (sink === 0.5) console.log(sink);
