import { DEFAULT_CORPUS, planCorpus } from "../../bench/faultbench/corpus.js";
import { type RunResult, type RunSpec, runTraining } from "../../bench/faultbench/trainer.js";
import { seededRandom } from "../../bench/random.js";
import type { StepInput, TelemetryRecord, Verdict } from "../../src/index.js";
import { defaultFingerprintSet } from "../../src/monitor/fingerprint-set.js";
import { METRIC_SIGNALS } from "../../src/monitor/signals.js";

/**
 * Step metrics that look healthy to the shipped fingerprint set: every metric
 * signal at the prior's center for the run's n-th step, plus noise of a tenth
 * of the smaller of the signal's healthy noise and the prior's scale there.
 * `tweak` changes a value (a planted fault).
 */
export function healthyMetricRun(
  run: string,
  steps: number,
  seed = 1,
  tweak: (name: string, value: number, step: number) => number = (_, v) => v,
): StepInput[] {
  const set = defaultFingerprintSet();
  const prior = set.prior!;
  const rng = seededRandom(seed);
  const index = new Map(set.signals.map((s, i) => [s, i]));
  const out: StepInput[] = [];
  for (let t = 0; t < steps; t++) {
    const metrics: Record<string, number> = {};
    for (const name of METRIC_SIGNALS) {
      const s = index.get(name);
      if (s === undefined) continue;
      const b = Math.min(t, prior.buckets - 1);
      const noise = 0.1 * Math.min(prior.scale[s][b], set.noise[s]);
      metrics[name] = tweak(name, prior.center[s][b] + noise * rng.normal(), t);
    }
    out.push({ run, step: t, metrics });
  }
  return out;
}

/** A run spec of the corpus plan's test split (which the shipped fingerprints never saw). */
export function testSpec(id: string): RunSpec {
  const { specs, labels } = planCorpus(DEFAULT_CORPUS);
  const spec = specs.find((s) => s.id === id);
  if (!spec || labels.runs[id].split !== "test") throw new Error(`${id} is not a test-split run of the corpus plan`);
  return spec;
}

/** Trains a run without a monitor and returns its result and every telemetry record, in order. */
export function trainRecords(spec: RunSpec): { result: RunResult; records: TelemetryRecord[] } {
  const records: TelemetryRecord[] = [];
  const result = runTraining(spec, (r) => records.push(r));
  return { result, records };
}

/**
 * The monitor's inputs for a logged run: one per step record, with the step's
 * tensor and the events logged since the previous step (the initial checkpoint
 * travels with the first step, as it does in the trainer's loop).
 */
export function stepInputs(records: readonly TelemetryRecord[]): StepInput[] {
  const out: StepInput[] = [];
  let events: { name: string; step: number }[] = [];
  let current: StepInput | null = null;
  for (const r of records) {
    if (r.kind === "event") events.push({ name: r.name, step: r.step });
    else if (r.kind === "step") {
      current = { run: r.run, step: r.step, metrics: r.metrics, events };
      events = [];
      out.push(current);
    } else if (r.kind === "trajectories") {
      if (!current || current.step !== r.step) throw new Error(`trajectories of step ${r.step} before its step record`);
      current.trajectories = r.columns;
    }
  }
  return out;
}

/** First anomalous verdict's step, or null. */
export function firstAlarm(verdicts: readonly Verdict[]): number | null {
  return verdicts.find((v) => v.anomalous)?.step ?? null;
}
