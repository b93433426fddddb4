/**
 * A benchmark worker process (bundled as dist/faultbench-worker.js): the pool
 * (pool.ts) forks this entry, and it trains each job it is sent.
 */
import { serveJobs } from "./pool.js";

serveJobs();
