/**
 * `npm run bench:monitor`: what the Monitor costs a trainer per step, native vs
 * wasm, beside the scanner alone (the part of the cost that is the trajectory
 * tensor itself) on the same steps.
 *
 * The steps are a real benchmark run (bench/faultbench: 50 steps of 64
 * trajectories with every canonical column, a healthy configuration, trained
 * here once); the monitor sees them again and again with increasing step
 * numbers, the prior and the policy on, as in the fault benchmark's loop.
 *
 * Run: npm run bench:monitor   (figures are steps per second, measured in this run)
 */
import Benchmark from "benchmark";
import {
  loadNativeKernels,
  loadWasmKernels,
  Monitor,
  type StepInput,
  scanSteps,
  type TelemetryRecord,
  type TensorLike,
} from "../src/index.js";
import { DEFAULT_CORPUS, planCorpus } from "./faultbench/corpus.js";
import { runTraining } from "./faultbench/trainer.js";

const { specs } = planCorpus(DEFAULT_CORPUS);
const records: TelemetryRecord[] = [];
runTraining(specs.find((s) => s.id === "s1-healthy-0")!, (r) => records.push(r));

/** One monitor input per logged step, with its tensor as a Map of columns. */
const logged: StepInput[] = [];
for (const r of records) {
  if (r.kind === "step") logged.push({ run: "bench", step: r.step, metrics: r.metrics });
  else if (r.kind === "trajectories") logged.at(-1)!.trajectories = r.columns;
}
const rows = (logged[0].trajectories as Record<string, ArrayLike<number>>).reward.length;
const tensors: TensorLike[] = logged.map((s) => ({
  rows,
  columns: new Map(Object.entries(s.trajectories as Record<string, ArrayLike<number>>)),
}));

const backends = [loadNativeKernels(), loadWasmKernels()];
let sink = 0;
const suite = new Benchmark.Suite("monitor");
for (const kernels of backends) {
  const monitor = new Monitor({ kernels, prior: true, policy: { mode: "act" }, onError: () => {} });
  let step = 0;
  suite.add(`${kernels.name} observe`, () => {
    const input = logged[step % logged.length];
    const verdict = monitor.observe({ ...input, step: step++ });
    sink += verdict.anomalies.length;
  });
}
for (const kernels of backends) {
  let i = 0;
  suite.add(`${kernels.name} scan only`, () => {
    sink += scanSteps(kernels, [{ run: "bench", step: i, trajectories: tensors[i++ % tensors.length] }]).length;
  });
}
suite.on("cycle", (event: Benchmark.Event) => {
  const t = event.target as Benchmark.Target & { name: string; hz: number; stats: { rme: number } };
  console.log(
    `${t.name.padEnd(18)} ${Math.round(t.hz).toLocaleString("en").padStart(9)} steps/s  (${(1e6 / t.hz).toFixed(0)} µs/step, ±${t.stats.rme.toFixed(1)}%)`,
  );
});
suite.on("complete", function (this: Benchmark.Suite) {
  const hz = Object.fromEntries(this.map((b: Benchmark & { name: string; hz: number }) => [b.name, b.hz]));
  console.log(`\nsteps of ${rows} trajectories, ${Object.keys(logged[0].metrics ?? {}).length} metrics`);
  console.log(`native observe / wasm observe: ${(hz["native observe"] / hz["wasm observe"]).toFixed(2)}x`);
  console.log(
    `native observe / native scan only: ${(hz["native observe"] / hz["native scan only"]).toFixed(2)}x of the scanner's rate`,
  );
  if (sink < 0) console.log(sink);
});
suite.run();
