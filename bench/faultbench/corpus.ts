/**
 * The benchmark corpus: which runs it holds and their labels.
 *
 * Per setup (setups.ts): every fault type at every severity on every seed,
 * onsets mid-run (varied) except for configuration faults (onset 0), and
 * healthy runs with their own hyperparameter draws from the setup's ranges:
 * more healthy runs than any single fault type has. Splits are by seed, so
 * what is learned on `train` is judged on `test`. The runs of one seed share
 * its matched healthy run's seed and settings, so a faulty run is its twin
 * step for step before its onset.
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
import type { HParams } from "./hparams.js";
import { type RunSetup, SETUPS, type Setup, selectSetups, setupHparams } from "./setups.js";
import type { RunSpec } from "./trainer.js";

export type Split = "train" | "test";

export interface RunEntry {
  /** Telemetry file, relative to the corpus directory. */
  file: string;
  /**
   * The setup the run belongs to (setups.ts; what `fingerprints learn --setups`
   * and `eval --setups` filter on). generate always writes it; a corpus from
   * before setups, or one labelled by hand, may have none.
   */
  setup?: string;
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

/** What labels.json says of each setup it holds. */
export interface SetupLabel extends RunSetup {
  description: string;
  /** Faults the setup's plan leaves out, with the reason. */
  skipped_faults: Record<string, string>;
}

export interface Labels {
  version: 1;
  /** The setups whose runs the corpus holds (absent in corpora from before setups). */
  setups?: Record<string, SetupLabel>;
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

/** The corpus of setup `a` (the original setup): what `planCorpus` plans by default. */
export const DEFAULT_CORPUS: CorpusOptions = { ...SETUPS[0].corpus, baseSeed: 0 };

/** Healthy runs differ in their sane hyperparameters (within the setup's ranges) as well as in their seeds. */
function saneHparams(seed: number, setup: Setup): HParams {
  const rng = seededRandom(seed * 97 + 5);
  const logUniform = ([lo, hi]: [number, number]) =>
    Math.exp(Math.log(lo) + rng.uniform() * (Math.log(hi) - Math.log(lo)));
  return {
    ...setupHparams(setup),
    lr: logUniform(setup.lr),
    klCoef: logUniform(setup.kl),
    clipEps: 0.15 + 0.1 * rng.uniform(),
    temperature: 0.9 + 0.2 * rng.uniform(),
  };
}

/** A mid-run onset between a quarter and 70% of the run, different per seed and fault. */
function midRunOnset(seed: number, faultIndex: number, steps: number): number {
  const rng = seededRandom(seed * 131 + faultIndex * 7 + 1);
  return Math.round(steps * (0.25 + 0.45 * rng.uniform()));
}

export function setupLabel(setup: Setup): SetupLabel {
  return {
    ...setup.run,
    description: setup.description,
    skipped_faults: { ...setup.skippedFaults } as Record<string, string>,
  };
}

/**
 * The plan of one setup's corpus (default: setup `a`, the original). Runs of
 * setup `a` carry no `setup` in their spec (they train as before setups).
 */
export function planCorpus(
  options: CorpusOptions = DEFAULT_CORPUS,
  setup: Setup = SETUPS[0],
): { specs: RunSpec[]; labels: Labels } {
  const specs: RunSpec[] = [];
  const labels: Labels = { version: 1, setups: { [setup.run.name]: setupLabel(setup) }, runs: {} };
  const runSetup = setup === SETUPS[0] ? {} : { setup: setup.run };
  const faults = FAULT_IDS.filter((f) => setup.skippedFaults[f] === undefined);
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
      setup: setup.run.name,
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
    const seed = options.baseSeed + setup.seedOffset + s + 1;
    const hparams = saneHparams(seed, setup);
    const id = (rest: string) => `${setup.idPrefix}s${seed}-${rest}`;
    const matched = id("healthy-0");
    for (let v = 0; v < options.healthyPerSeed; v++) {
      // Variant 0 is the faulty runs' matched healthy run; the others draw their own seed and settings.
      const variantSeed = v === 0 ? seed : seed * 1000 + v;
      const spec = {
        id: id(`healthy-${v}`),
        seed: variantSeed,
        steps: options.steps,
        hparams: v === 0 ? hparams : saneHparams(variantSeed, setup),
        fault: null,
        ...runSetup,
      };
      add(spec, HEALTHY, null, seed, split, matched);
    }
    // The onset's draw is by the fault's index in the catalogue, so leaving a fault out moves no other onset.
    FAULT_IDS.forEach((fault, f) => {
      if (!faults.includes(fault)) return;
      const onset = CONFIGURATION_FAULTS.has(fault) ? 0 : midRunOnset(seed, f, options.steps);
      for (const severity of SEVERITIES) {
        const spec = {
          id: id(`${fault}-${severity}`),
          seed,
          steps: options.steps,
          hparams,
          fault: { fault, severity, onset },
          ...runSetup,
        };
        add(spec, fault, severity, seed, split, matched);
      }
    });
  }
  return { specs, labels };
}

export interface SetupsOptions {
  /** Setup names (default: every setup). */
  setups?: readonly string[];
  /** Steps of every run, over each setup's own (mid-run onsets scale with it). */
  steps?: number;
  /** Offset of every setup's seeds, so that another corpus can be drawn. */
  baseSeed?: number;
}

/** The plan of a multi-setup corpus: each chosen setup's corpus, in catalogue order, in one labels.json. */
export function planSetups(options: SetupsOptions = {}): { specs: RunSpec[]; labels: Labels } {
  const specs: RunSpec[] = [];
  const labels: Labels = { version: 1, setups: {}, runs: {} };
  for (const setup of selectSetups(options.setups)) {
    const corpus: CorpusOptions = {
      ...setup.corpus,
      steps: options.steps ?? setup.corpus.steps,
      baseSeed: options.baseSeed ?? 0,
    };
    const planned = planCorpus(corpus, setup);
    specs.push(...planned.specs);
    Object.assign(labels.setups!, planned.labels.setups);
    Object.assign(labels.runs, planned.labels.runs);
  }
  return { specs, labels };
}
