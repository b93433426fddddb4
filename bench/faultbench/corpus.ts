/**
 * The benchmark corpus: which runs it holds and their labels.
 *
 * Every fault type at every severity on every seed, onsets mid-run (varied)
 * except for configuration faults (onset 0), and healthy runs with their own
 * hyperparameter draws: more healthy runs than any single fault type has.
 * Splits are by seed, so what is learned on `train` is judged on `test`.
 */
import { seededRandom } from "../random.js";
import {
  CONFIGURATION_FAULTS,
  FAULT_FAMILIES,
  FAULT_IDS,
  type Family,
  HEALTHY,
  type RunLabel,
  SEVERITIES,
  type Severity,
} from "./faults.js";
import { type HParams, NOMINAL } from "./hparams.js";
import type { RunSpec } from "./trainer.js";

export type Split = "train" | "test";

export interface RunEntry {
  /** Telemetry file, relative to the corpus directory. */
  file: string;
  fault: RunLabel;
  family: Family | typeof HEALTHY;
  severity: Severity | null;
  /** First step at which the fault acts (0: from the start); null for a healthy run. */
  onset: number | null;
  /** The run's own training seed (healthy variants draw their own). */
  seed: number;
  /** The corpus seed the run belongs to: it decides the split, and the runs of one corpus seed share their matched healthy run. */
  corpus_seed: number;
  split: Split;
  steps: number;
  hparams: HParams;
  /** Id of the run with the same seed and settings and no fault. */
  matched_healthy: string;
  /** Held-out accuracy before RL and after the last step (filled in by generate). */
  initial_accuracy?: number;
  final_accuracy?: number;
}

export interface Labels {
  version: 1;
  runs: Record<string, RunEntry>;
}

export interface CorpusOptions {
  /** Seeds; the last `testSeeds` of them form the test split. */
  seeds: number;
  testSeeds: number;
  /** Healthy runs per seed (the first shares the faulty runs' settings: their matched run). */
  healthyPerSeed: number;
  steps: number;
  /** Offset of the seed values, so that another corpus can be drawn. */
  baseSeed: number;
}

export const DEFAULT_CORPUS: CorpusOptions = { seeds: 10, testSeeds: 4, healthyPerSeed: 12, steps: 50, baseSeed: 0 };

/** Healthy runs differ in their sane hyperparameters as well as in their seeds. */
function saneHparams(seed: number): HParams {
  const rng = seededRandom(seed * 97 + 5);
  const logUniform = (lo: number, hi: number) => Math.exp(Math.log(lo) + rng.uniform() * (Math.log(hi) - Math.log(lo)));
  return {
    ...NOMINAL,
    lr: logUniform(3e-4, 8e-4),
    klCoef: logUniform(0.2, 0.5),
    clipEps: 0.15 + 0.1 * rng.uniform(),
    temperature: 0.9 + 0.2 * rng.uniform(),
  };
}

/** A mid-run onset between a quarter and 70% of the run, different per seed and fault. */
function midRunOnset(seed: number, faultIndex: number, steps: number): number {
  const rng = seededRandom(seed * 131 + faultIndex * 7 + 1);
  return Math.round(steps * (0.25 + 0.45 * rng.uniform()));
}

export function planCorpus(options: CorpusOptions = DEFAULT_CORPUS): { specs: RunSpec[]; labels: Labels } {
  const specs: RunSpec[] = [];
  const labels: Labels = { version: 1, runs: {} };
  const add = (
    spec: RunSpec,
    label: RunLabel,
    severity: Severity | null,
    corpusSeed: number,
    split: Split,
    matched: string,
  ) => {
    specs.push(spec);
    labels.runs[spec.id] = {
      file: `runs/${spec.id}.jsonl.gz`,
      fault: label,
      family: label === HEALTHY ? HEALTHY : FAULT_FAMILIES[label],
      severity,
      onset: spec.fault ? spec.fault.onset : null,
      seed: spec.seed,
      corpus_seed: corpusSeed,
      split,
      steps: spec.steps,
      hparams: spec.hparams,
      matched_healthy: matched,
    };
  };
  for (let s = 0; s < options.seeds; s++) {
    const split: Split = s >= options.seeds - options.testSeeds ? "test" : "train";
    const seed = options.baseSeed + s + 1;
    const hparams = saneHparams(seed);
    const matched = `s${seed}-healthy-0`;
    for (let v = 0; v < options.healthyPerSeed; v++) {
      // Variant 0 is the faulty runs' matched healthy run; the others draw their own seed and settings.
      const variantSeed = v === 0 ? seed : seed * 1000 + v;
      const spec = {
        id: `s${seed}-healthy-${v}`,
        seed: variantSeed,
        steps: options.steps,
        hparams: v === 0 ? hparams : saneHparams(variantSeed),
        fault: null,
      };
      add(spec, HEALTHY, null, seed, split, matched);
    }
    FAULT_IDS.forEach((fault, f) => {
      const onset = CONFIGURATION_FAULTS.has(fault) ? 0 : midRunOnset(seed, f, options.steps);
      for (const severity of SEVERITIES) {
        const spec = {
          id: `s${seed}-${fault}-${severity}`,
          seed,
          steps: options.steps,
          hparams,
          fault: { fault, severity, onset },
        };
        add(spec, fault, severity, seed, split, matched);
      }
    });
  }
  return { specs, labels };
}
