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
  const specs = options.runs !== undefined ? keepRuns(included, planned.labels, options.runs) : included;
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

/**
 * `n` runs of the plan: shared between its setups, and within a setup between its
 * healthy runs (their share of the setup's plan and at least one, so that false alarms
 * stay measurable) and its faulty ones, which are taken round-robin over the fault x severity labels so
 * that a small corpus covers every label once before any label twice. (A plain stride
 * over a setup's plan, laid out in blocks per seed, can land on the same few labels in
 * every block.)
 */
export function keepRuns(specs: RunSpec[], labels: Labels, n: number): RunSpec[] {
  const bySetup = new Map<string, RunSpec[]>();
  for (const spec of specs) {
    const setup = labels.runs[spec.id].setup ?? "";
    bySetup.set(setup, [...(bySetup.get(setup) ?? []), spec]);
  }
  const groups = [...bySetup.values()];
  return groups.flatMap((group, i) => {
    const share = Math.floor(n / groups.length) + (i < n % groups.length ? 1 : 0);
    if (share >= group.length) return group;
    const healthy = group.filter((spec) => labels.runs[spec.id].fault === "healthy");
    const faulty = group.filter((spec) => labels.runs[spec.id].fault !== "healthy");
    // At least one healthy run when there are any: without one, nothing measures a false alarm.
    const proportional = Math.round((share * healthy.length) / group.length);
    const healthyShare = Math.min(healthy.length, share, Math.max(proportional, 1));
    return [...spread(healthy, healthyShare), ...roundRobin(faulty, labels, share - healthyShare)];
  });
}

/** `n` items spread evenly over `items`, so a small corpus still covers every seed. */
function spread<T>(items: T[], n: number): T[] {
  if (n >= items.length) return items;
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]);
}

/** `n` faulty runs taken one per fault x severity label in turn, each label's runs in seed-spread order. */
function roundRobin(specs: RunSpec[], labels: Labels, n: number): RunSpec[] {
  const byLabel = new Map<string, RunSpec[]>();
  for (const spec of specs) {
    const { fault, severity } = labels.runs[spec.id];
    const key = `${fault}/${severity}`;
    byLabel.set(key, [...(byLabel.get(key) ?? []), spec]);
  }
  const queues = [...byLabel.values()].map((runs) => spreadOrder(runs.length).map((k) => runs[k]));
  const kept: RunSpec[] = [];
  for (let round = 0; kept.length < n; round++) {
    let took = false;
    for (const queue of queues) {
      if (round < queue.length && kept.length < n) {
        kept.push(queue[round]);
        took = true;
      }
    }
    if (!took) break;
  }
  return kept;
}

/**
 * 0..length-1 in an order whose every prefix is spread over the range (bit-reversed
 * positions: 0, 1/2, 1/4, 3/4, ... of it), so the first runs a label gives come from
 * seeds far apart.
 */
function spreadOrder(length: number): number[] {
  let bits = 0;
  while (1 << bits < length) bits++;
  const order: number[] = [];
  for (let i = 0; i < 1 << bits; i++) {
    let reversed = 0;
    for (let b = 0; b < bits; b++) if (i & (1 << b)) reversed |= 1 << (bits - 1 - b);
    if (reversed < length) order.push(reversed);
  }
  return order;
}
