/**
 * What `Monitor.observe` costs a trainer per step, native and wasm, at B = 64
 * and 1024 trajectories: the p50 and p99 of single calls, diagnosis and the
 * policy included (prior on, policy in `act` mode, as the fault benchmark's loop runs it).
 *
 * The steps are a real benchmark run (bench/faultbench: 50 steps of 64
 * trajectories, every canonical column, a healthy configuration, trained here
 * once); B = 1024 tiles each step's tensor 16 times, with the group ids of each
 * copy shifted so that the groups stay groups of the original size. The monitor
 * sees the steps again and again with increasing step numbers.
 */
import {
  loadNativeKernels,
  loadWasmKernels,
  Monitor,
  quantileOfSorted,
  type StepInput,
  type TelemetryRecord,
} from "../../src/index.js";
import { DEFAULT_CORPUS, planCorpus } from "../faultbench/corpus.js";
import { runTraining } from "../faultbench/trainer.js";
import type { CaseContext, CaseResult, Measurement, ThroughputCase } from "./measurement.js";

export const OBSERVE_SIZES = [64, 1024];

export function observeName(rows: number): string {
  return `Monitor.observe B=${rows}`;
}

type Columns = Record<string, ArrayLike<number>>;

/** The healthy run's logged steps, each with its trajectory columns. */
function loggedSteps(): StepInput[] {
  const { specs } = planCorpus(DEFAULT_CORPUS);
  const records: TelemetryRecord[] = [];
  runTraining(specs.find((s) => s.id === "s1-healthy-0")!, (r) => records.push(r));
  const logged: StepInput[] = [];
  for (const r of records) {
    if (r.kind === "step") logged.push({ run: "bench", step: r.step, metrics: r.metrics });
    else if (r.kind === "trajectories") logged.at(-1)!.trajectories = r.columns;
  }
  return logged;
}

/** The columns repeated `copies` times, the group ids of each copy after the previous copy's. */
function tile(columns: Columns, copies: number): Columns {
  const groups = columns.group;
  const groupSpan = groups ? Math.max(...Array.from(groups)) + 1 : 0;
  const out: Columns = {};
  for (const [name, values] of Object.entries(columns)) {
    const rows = values.length;
    const tiled = new Float64Array(rows * copies);
    for (let c = 0; c < copies; c++)
      for (let i = 0; i < rows; i++) tiled[c * rows + i] = name === "group" ? values[i] + c * groupSpan : values[i];
    out[name] = tiled;
  }
  return out;
}

async function run({ quick, log }: CaseContext): Promise<CaseResult> {
  const logged = loggedSteps();
  const baseRows = (logged[0].trajectories as Columns).reward.length;
  const measurements: Measurement[] = [];
  for (const rows of OBSERVE_SIZES) {
    const copies = Math.max(1, Math.round(rows / baseRows));
    const inputs = logged.map((s) => ({ ...s, trajectories: tile(s.trajectories as Columns, copies) }));
    const calls = quick ? 30 : rows >= 1024 ? 1_500 : 3_000;
    const warmup = quick ? 10 : 300;
    for (const kernels of [loadNativeKernels(), loadWasmKernels()]) {
      const monitor = new Monitor({ kernels, prior: true, policy: { mode: "act" }, onError: () => {} });
      const times: number[] = [];
      let anomalies = 0;
      for (let step = 0; step < warmup + calls; step++) {
        const input = inputs[step % inputs.length];
        const started = performance.now();
        anomalies += monitor.observe({ ...input, step }).anomalies.length;
        const elapsed = performance.now() - started;
        if (step >= warmup) times.push(elapsed);
      }
      times.sort((a, b) => a - b);
      const name = observeName(baseRows * copies);
      const p50 = quantileOfSorted(times, 0.5);
      const p99 = quantileOfSorted(times, 0.99);
      measurements.push(
        { name, backend: kernels.name, unit: "p50 ms/step", value: p50, rme: null },
        { name, backend: kernels.name, unit: "p99 ms/step", value: p99, rme: null },
      );
      log(
        `  ${name} ${kernels.name.padEnd(6)} p50 ${p50.toFixed(3)} ms  p99 ${p99.toFixed(3)} ms  (${calls} steps, ${anomalies} anomalies)`,
      );
    }
  }
  return { measurements, skipped: {} };
}

export const observeCase: ThroughputCase = { name: "observe", run };
