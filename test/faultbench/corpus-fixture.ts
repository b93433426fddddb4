/**
 * A hand-made corpus for the evaluation tests: six runs of trainer metrics
 * only, with planted changes whose alarms are known in advance.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Labels, RunEntry } from "../../bench/faultbench/corpus.js";
import { FAULT_FAMILIES, type FaultId, HEALTHY, type Severity } from "../../bench/faultbench/faults.js";
import { NOMINAL } from "../../bench/faultbench/hparams.js";
import { DEFAULT_DETECTION, type FingerprintSet } from "../../src/index.js";

/**
 * The fingerprint set the fixture's expected alarms are worked out for: its
 * three metrics, their healthy noise, no prior (so the run is judged
 * zero-shot: a grad norm at 10x its running 90th percentile alarms at its
 * second point, trajectories at 0.8 of their running median at their second
 * point, non-finite values at their second point in a row), and one
 * fingerprint per planted fault.
 */
export const FIXTURE_FINGERPRINTS: FingerprintSet = {
  format: "rftfm-fingerprints",
  version: 1,
  source: { fixture: true },
  signals: ["grad_norm", "num_trajectories", "entropy"],
  noise: [0.05, 1, 0.01],
  prior: null,
  detection: { ...DEFAULT_DETECTION },
  weights: [1, 1, 1],
  temperature: 0.1,
  fingerprints: [
    { fault: "gradient_explosion", family: "optimization_dynamics", runs: 1, centroid: [1, 0, 0] },
    { fault: "worker_failure", family: "tool_environment", runs: 1, centroid: [0, -1, 0] },
  ],
};

const STEPS = 30;

interface FixtureRun {
  fault: FaultId | null;
  severity?: Severity;
  onset?: number;
  split?: "train" | "test";
  /** Changes the step's metrics from the flat series. */
  plant?: (step: number, metrics: Record<string, number | string>) => void;
}

/** The runs, and the first alarm each gets under FIXTURE_FINGERPRINTS. */
export const FIXTURE: Record<string, FixtureRun & { firstAlarm: number | null }> = {
  // Flat: no alarm.
  h1: { fault: null, firstAlarm: null },
  // A non-finite value at two points in a row alarms at the second: a false alarm.
  h2: {
    fault: null,
    plant: (s, m) => {
      if (s === 20 || s === 21) m.grad_norm = "NaN";
    },
    firstAlarm: 21,
  },
  // Gradient norm x100 from the onset on: alarmed at its second point, delay 1.
  f1: {
    fault: "gradient_explosion",
    severity: "severe",
    onset: 15,
    plant: (s, m) => {
      if (s >= 15) m.grad_norm = 100 * Number(m.grad_norm);
    },
    firstAlarm: 16,
  },
  // The same change 8 steps before the labelled onset: an early alarm.
  f2: {
    fault: "gradient_explosion",
    severity: "moderate",
    onset: 20,
    plant: (s, m) => {
      if (s >= 12) m.grad_norm = 100 * Number(m.grad_norm);
    },
    firstAlarm: 13,
  },
  // No visible change: missed.
  f3: { fault: "worker_failure", severity: "subtle", onset: 15, firstAlarm: null },
  // Train split: three quarters of the trajectories gone from step 10.
  f4: {
    fault: "worker_failure",
    severity: "severe",
    onset: 10,
    split: "train",
    plant: (s, m) => {
      if (s >= 10) m.num_trajectories = 16;
    },
    firstAlarm: 11,
  },
};

/** Writes the fixture corpus into a fresh temporary directory and returns it. */
export function writeFixtureCorpus(): string {
  const dir = mkdtempSync(join(tmpdir(), "rftfm-faultbench-"));
  mkdirSync(join(dir, "runs"));
  const labels: Labels = { version: 1, runs: {} };
  for (const [run, spec] of Object.entries(FIXTURE)) {
    const lines: string[] = [];
    for (let step = 1; step <= STEPS; step++) {
      const metrics: Record<string, number | string> = {
        grad_norm: 1 + 0.05 * Math.sin(1.3 * step),
        num_trajectories: 64,
        entropy: 0.5,
      };
      spec.plant?.(step, metrics);
      lines.push(JSON.stringify({ kind: "step", run, step, metrics }));
    }
    writeFileSync(join(dir, "runs", `${run}.jsonl`), `${lines.join("\n")}\n`);
    const entry: RunEntry = {
      file: `runs/${run}.jsonl`,
      fault: spec.fault ?? HEALTHY,
      family: spec.fault ? FAULT_FAMILIES[spec.fault] : HEALTHY,
      severity: spec.severity ?? null,
      onset: spec.onset ?? null,
      seed: 1,
      corpus_seed: 1,
      split: spec.split ?? "test",
      steps: STEPS,
      hparams: NOMINAL,
      matched_healthy: "h1",
    };
    labels.runs[run] = entry;
  }
  writeFileSync(join(dir, "labels.json"), JSON.stringify(labels));
  return dir;
}
