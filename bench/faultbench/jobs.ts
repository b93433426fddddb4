/**
 * One unit of benchmark work, run in a worker process: train a run, write its
 * telemetry (gzip JSONL) when asked, with a monitor in the loop when asked.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { gzipSync } from "node:zlib";
import { encodeRecord } from "../../src/index.js";
import { type ObserverName, observerFor } from "./observers.js";
import { type RunResult, type RunSpec, runTraining } from "./trainer.js";

export interface TrainJob {
  spec: RunSpec;
  /** Where to write the run's telemetry (.jsonl.gz); none: do not keep it. */
  out?: string;
  /** Which monitor to put in the loop (observers.ts); none: train unmonitored. */
  observer?: ObserverName;
}

export interface JobOutcome {
  id: string;
  result: RunResult;
}

export function executeJob(job: TrainJob): JobOutcome {
  const lines: string[] = [];
  const observe = job.observer ? observerFor(job.observer, job.spec) : undefined;
  const result = runTraining(job.spec, (record) => lines.push(encodeRecord(record)), observe);
  if (job.out) {
    mkdirSync(dirname(job.out), { recursive: true });
    writeFileSync(job.out, gzipSync(`${lines.join("\n")}\n`));
  }
  return { id: job.spec.id, result };
}
