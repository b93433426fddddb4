/**
 * `rftfm faultbench generate`: trains every run of the corpus plan on all
 * cores and writes one `.jsonl.gz` per run plus `labels.json`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CorpusOptions, type Labels, planCorpus } from "./corpus.js";
import { runJobs } from "./pool.js";

export interface GenerateOptions {
  out: string;
  corpus: CorpusOptions;
  /** Keep only the first `runs` runs of the plan (a smaller corpus), interleaved over labels. */
  runs?: number;
  workers?: number;
  progress?: (done: number, total: number, id: string) => void;
}

export async function generateCorpus(options: GenerateOptions): Promise<Labels> {
  const planned = planCorpus(options.corpus);
  const specs = options.runs !== undefined ? spread(planned.specs, options.runs) : planned.specs;
  const labels: Labels = { version: 1, runs: {} };
  for (const spec of specs) labels.runs[spec.id] = planned.labels.runs[spec.id];
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

/** `n` items spread evenly over `items`, so a small corpus still covers every label. */
function spread<T>(items: T[], n: number): T[] {
  if (n >= items.length) return items;
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]);
}
