/**
 * Bulk scan end to end: `node dist/cli.js scan --json <dir>` as a child
 * process over a generated RFT-FaultBench-size corpus (corpus.ts, in a
 * temporary directory, removed afterwards): wall time, peak RSS (through
 * /usr/bin/time when present), trajectory records/s and MB/s of gzip and of
 * JSON. Beside it, in this process and on one core, what gunzip alone and
 * gunzip plus JSON.parse of every line cost on the same files (the floor that
 * input format sets), and the library's scanTelemetry (ingest and kernels, no
 * monitor): subtracting one from the next splits the CLI's time into stages.
 *
 * Threads: when `rftfm scan --help` offers `--threads`, the scan is timed with
 * 1 and 2; until then it is timed once and the case says so.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { backend, scanTelemetry } from "../../src/index.js";
import { type CorpusFiles, FAULTBENCH_SIZE, QUICK_CORPUS, writeCorpus } from "./corpus.js";
import type { CaseContext, CaseResult, Measurement, ThroughputCase } from "./measurement.js";

const REPO_ROOT = join(import.meta.dirname, "..", "..");
const CLI = join(REPO_ROOT, "dist", "cli.js");
const TIME = "/usr/bin/time";

export const BULK_SCAN = "bulk scan --json";
export const BULK_FLOOR = "bulk gunzip+JSON.parse";
export const BULK_INGEST_SCAN = "bulk scanTelemetry (ingest+kernels)";

interface ScanTiming {
  seconds: number;
  peakRssMb: number | null;
  runsPrinted: number;
}

/** One timed `rftfm scan --json` of the corpus; throws when the scan did not cover every run. */
function timeScan(corpus: CorpusFiles, runs: number, extra: string[]): ScanTiming {
  const args = [CLI, "scan", "--json", ...extra, corpus.dir];
  const timed = existsSync(TIME);
  const [command, commandArgs] = timed
    ? [TIME, ["-f", "rftfm-peak-rss-kb %M", process.execPath, ...args]]
    : [process.execPath, args];
  const started = performance.now();
  const result = spawnSync(command, commandArgs, {
    encoding: "utf8",
    maxBuffer: 256 << 20,
    env: { ...process.env, NODE_ENV: "production" },
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.error) throw new Error(`rftfm scan did not start: ${result.error.message}`);
  const printed = result.stdout.split("\n").filter((l) => l.startsWith("{")).length;
  if (printed !== runs) {
    throw new Error(
      `rftfm scan printed ${printed} run summaries for ${runs} runs (exit ${result.status}): ${result.stderr.trim().split("\n").at(-1)}`,
    );
  }
  const rss = /rftfm-peak-rss-kb (\d+)/.exec(result.stderr);
  return { seconds, peakRssMb: rss ? Number(rss[1]) / 1024 : null, runsPrinted: printed };
}

/** Seconds to gunzip every file, and to gunzip and JSON.parse every line, in this process. */
function inputFloor(dir: string): { gunzip: number; parse: number; records: number } {
  const files = readdirSync(dir).map((f) => readFileSync(join(dir, f)));
  let started = performance.now();
  for (const f of files) gunzipSync(f);
  const gunzip = (performance.now() - started) / 1000;
  let records = 0;
  started = performance.now();
  for (const f of files)
    for (const line of gunzipSync(f).toString("utf8").split("\n")) if (line) records += JSON.parse(line) ? 1 : 0;
  return { gunzip, parse: (performance.now() - started) / 1000, records };
}

/**
 * Seconds for the library's own read-and-scan (`scanTelemetry`: gunzip, parse,
 * gathering each step's columns, the kernels), in this process, no monitor and
 * no output: what the CLI's time is before judging runs. Throws when a step is lost.
 */
async function ingestAndScan(dir: string, steps: number): Promise<number> {
  const started = performance.now();
  let seen = 0;
  for await (const _ of scanTelemetry([dir]).features) seen++;
  if (seen !== steps) throw new Error(`scanTelemetry gave ${seen} steps of ${steps}`);
  return (performance.now() - started) / 1000;
}

async function run({ quick, log }: CaseContext): Promise<CaseResult> {
  if (!existsSync(CLI))
    return { measurements: [], skipped: { bulk: `${CLI} is missing: npm run build (or build:ts) first` } };
  const shape = quick ? QUICK_CORPUS : FAULTBENCH_SIZE;
  const dir = mkdtempSync(join(tmpdir(), "rftfm-bulk-"));
  const skipped: Record<string, string> = {};
  const measurements: Measurement[] = [];
  try {
    const started = performance.now();
    const corpus = writeCorpus(dir, shape);
    log(
      `  corpus: ${shape.runs} runs, ${corpus.steps} steps, ${corpus.trajectories} trajectory records, ${(corpus.gzipBytes / 1e6).toFixed(1)} MB gzip / ${(corpus.jsonBytes / 1e6).toFixed(1)} MB JSON (written in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    const help = spawnSync(process.execPath, [CLI, "scan", "--help"], { encoding: "utf8" }).stdout;
    const threadCounts = help.includes("--threads") ? [1, 2] : [undefined];
    if (threadCounts[0] === undefined)
      skipped.scan_threads = "rftfm scan has no worker-thread option (--threads): timed once, on the main thread only";
    for (const threads of threadCounts) {
      const label = threads === undefined ? BULK_SCAN : `${BULK_SCAN} threads=${threads}`;
      const t = timeScan(corpus, shape.runs, threads === undefined ? [] : ["--threads", String(threads)]);
      measurements.push(
        { name: label, backend: "cli", unit: "s", value: t.seconds, rme: null },
        { name: label, backend: "cli", unit: "records/s", value: corpus.trajectories / t.seconds, rme: null },
        { name: label, backend: "cli", unit: "MB/s gzip", value: corpus.gzipBytes / 1e6 / t.seconds, rme: null },
        { name: label, backend: "cli", unit: "MB/s JSON", value: corpus.jsonBytes / 1e6 / t.seconds, rme: null },
      );
      if (t.peakRssMb !== null)
        measurements.push({ name: label, backend: "cli", unit: "peak RSS MB", value: t.peakRssMb, rme: null });
      else skipped.peak_rss = `${TIME} is missing: peak RSS not measured`;
      log(
        `  ${label}: ${t.seconds.toFixed(2)} s wall, ${(corpus.trajectories / t.seconds / 1e3).toFixed(0)} k records/s, peak RSS ${t.peakRssMb?.toFixed(0) ?? "?"} MB`,
      );
    }
    const floor = inputFloor(dir);
    measurements.push(
      { name: "bulk gunzip", backend: "node", unit: "s", value: floor.gunzip, rme: null },
      { name: BULK_FLOOR, backend: "node", unit: "s", value: floor.parse, rme: null },
    );
    const ingest = await ingestAndScan(dir, corpus.steps);
    measurements.push({ name: BULK_INGEST_SCAN, backend, unit: "s", value: ingest, rme: null });
    log(`  scanTelemetry in process (${backend}, ingest + kernels, no monitor): ${ingest.toFixed(2)} s`);
    log(
      `  input floor (one core, in process): gunzip ${floor.gunzip.toFixed(2)} s, gunzip+JSON.parse ${floor.parse.toFixed(2)} s (${floor.records} records)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { measurements, skipped };
}

export const bulkCase: ThroughputCase = { name: "bulk", run };
