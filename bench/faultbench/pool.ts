/**
 * Runs benchmark jobs on every core: worker processes started from the
 * worker entry (worker.ts), fed one job at a time over IPC.
 */
import { type ChildProcess, fork } from "node:child_process";
import { availableParallelism } from "node:os";
import { executeJob, type JobOutcome, type TrainJob } from "./jobs.js";

/**
 * The worker entry beside this module: the TypeScript source when run from
 * source (the worker inherits the parent's loader flags), else the bundle
 * that the package build puts beside the benchmark's (dist/faultbench-worker.js).
 */
const WORKER_ENTRY = new URL(
  import.meta.url.endsWith(".ts") ? "./worker.ts" : "./faultbench-worker.js",
  import.meta.url,
);

export interface PoolOptions {
  /** Worker processes (default: one per core). 0 runs the jobs in this process. */
  workers?: number;
  onDone?: (outcome: JobOutcome, done: number, total: number) => void;
}

type Reply = { ok: true; outcome: JobOutcome } | { ok: false; id: string; error: string };

export async function runJobs(jobs: TrainJob[], options: PoolOptions = {}): Promise<JobOutcome[]> {
  const workers = Math.min(options.workers ?? availableParallelism(), jobs.length);
  const outcomes: JobOutcome[] = [];
  let done = 0;
  const finish = (outcome: JobOutcome) => {
    outcomes.push(outcome);
    options.onDone?.(outcome, ++done, jobs.length);
  };
  if (workers <= 0) {
    for (const job of jobs) finish(executeJob(job));
    return outcomes;
  }
  const queue = [...jobs];
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      const child = fork(WORKER_ENTRY, [], {
        execArgv: process.execArgv,
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      try {
        for (let job = queue.shift(); job; job = queue.shift()) {
          const reply = await request(child, job);
          if (reply.ok) finish(reply.outcome);
          else failures.push(`${reply.id}: ${reply.error}`);
        }
      } finally {
        child.kill();
      }
    }),
  );
  if (failures.length) throw new Error(`${failures.length} benchmark job(s) failed:\n${failures.join("\n")}`);
  return outcomes;
}

function request(child: ChildProcess, job: TrainJob): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`benchmark worker exited (${code}) during ${job.spec.id}`));
    child.once("exit", onExit);
    child.once("message", (reply: Reply) => {
      child.off("exit", onExit);
      resolve(reply);
    });
    child.send(job);
  });
}

/** The worker side: runs each job it is sent and replies with the outcome. */
export function serveJobs(): void {
  process.on("message", (job: TrainJob) => {
    let reply: Reply;
    try {
      reply = { ok: true, outcome: executeJob(job) };
    } catch (error) {
      reply = {
        ok: false,
        id: job.spec.id,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      };
    }
    process.send!(reply);
  });
}
