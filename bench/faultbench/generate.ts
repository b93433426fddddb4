/**
 * `rftfm faultbench generate`: trains every run of the corpus plan on all
 * cores and writes one `.jsonl.gz` per run plus `labels.json`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CorpusOptions, type Labels, planCorpus, planSetups } from "./corpus.js";
import { runJobs } from "./pool.js";
import type { RunSpec } from "./trainer.js";

export interface GenerateOptions {
  out: string;
  /** One corpus of setup `a` of this shape (the plan before setups); without it, the setups below. */
  corpus?: CorpusOptions;
  /** Setup names (setups.ts; default: every setup), each with its own corpus size. */
  setups?: readonly string[];
  /** Steps of every run, over each setup's own. */
  steps?: number;
  /** Seed offset: another value draws another corpus of the same shape. */
  baseSeed?: number;
  /**
   * Keep only `runs` runs of the plan (a smaller corpus): shared as evenly as
   * possible between the setups (the first ones get the remainder), spread
   * evenly over each setup's labels.
   */
  runs?: number;
  /** Only planned runs this returns true for (before `runs`): a hand-picked corpus, as tests use. */
  include?: (id: string, entry: Labels["runs"][string]) => boolean;
  workers?: number;
  progress?: (done: number, total: number, id: string) => void;
}

export async function generateCorpus(options: GenerateOptions): Promise<Labels> {
  const planned = options.corpus
    ? planCorpus(options.corpus)
    : planSetups({ setups: options.setups, steps: options.steps, baseSeed: options.baseSeed });
  const included = options.include
    ? planned.specs.filter((spec) => options.include!(spec.id, planned.labels.runs[spec.id]))
    : planned.specs;
  const specs = options.runs !== undefined ? keep(included, planned.labels, options.runs) : included;
  const labels: Labels = { version: 1, setups: {}, runs: {} };
  for (const spec of specs) {
    const entry = planned.labels.runs[spec.id];
    labels.runs[spec.id] = entry;
    if (entry.setup && planned.labels.setups?.[entry.setup])
      labels.setups![entry.setup] = planned.labels.setups[entry.setup];
  }
  mkdirSync(join(options.out, "runs"), { recursive: true });
  const jobs = specs.map((spec) => ({ spec, out: join(options.out, labels.runs[spec.id].file) }));
  await runJobs(jobs, {
    workers: options.workers,
    onDone: ({ id, result }, done, total) => {
      labels.runs[id].initial_accuracy = result.initialAccuracy;
      labels.runs[id].final_accuracy = result.finalAccuracy;
      options.progress?.(done, total, id);
    },
  });
  writeFileSync(join(options.out, "labels.json"), `${JSON.stringify(labels, null, 1)}\n`);
  return labels;
}

/** `n` runs of the plan: shared between its setups, spread over each setup's runs. */
function keep(specs: RunSpec[], labels: Labels, n: number): RunSpec[] {
  const bySetup = new Map<string, RunSpec[]>();
  for (const spec of specs) {
    const setup = labels.runs[spec.id].setup ?? "";
    bySetup.set(setup, [...(bySetup.get(setup) ?? []), spec]);
  }
  const groups = [...bySetup.values()];
  return groups.flatMap((group, i) => {
    const share = Math.floor(n / groups.length) + (i < n % groups.length ? 1 : 0);
    return spread(group, share);
  });
}

/** `n` items spread evenly over `items`, so a small corpus still covers every label. */
function spread<T>(items: T[], n: number): T[] {
  if (n >= items.length) return items;
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]);
}
