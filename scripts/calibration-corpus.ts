/**
 * A small one-setup corpus for measuring calibration (docs/calibration.md):
 * every healthy run of the fault benchmark's first SEEDS corpus seeds, and the
 * configuration faults (present from step 0) of the same seeds at every
 * severity, written as `faultbench generate` writes a corpus (labels.json +
 * runs/*.jsonl.gz).
 *
 *     nice npx tsx scripts/calibration-corpus.ts OUT [SEEDS=2] [WORKERS=1]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_CORPUS, type Labels, planCorpus } from "../bench/faultbench/corpus.js";
import { CONFIGURATION_FAULTS, type FaultId } from "../bench/faultbench/faults.js";
import { runJobs } from "../bench/faultbench/pool.js";

const [out, seedsArg = "2", workersArg = "1"] = process.argv.slice(2);
if (!out) throw new Error("usage: calibration-corpus.ts OUT [SEEDS] [WORKERS]");
const seeds = Number(seedsArg);
const planned = planCorpus(DEFAULT_CORPUS);
const keep = planned.specs.filter((spec) => {
  const label = planned.labels.runs[spec.id];
  const fromStart = label.fault === "healthy" || CONFIGURATION_FAULTS.has(label.fault as FaultId);
  return fromStart && label.corpus_seed <= seeds;
});
const labels: Labels = { version: 1, runs: {} };
for (const spec of keep) labels.runs[spec.id] = planned.labels.runs[spec.id];
mkdirSync(join(out, "runs"), { recursive: true });
await runJobs(
  keep.map((spec) => ({ spec, out: join(out, labels.runs[spec.id].file) })),
  {
    workers: Number(workersArg),
    onDone: ({ id }, done, total) => process.stderr.write(`${done}/${total} ${id}\n`),
  },
);
writeFileSync(join(out, "labels.json"), `${JSON.stringify(labels, null, 1)}\n`);
