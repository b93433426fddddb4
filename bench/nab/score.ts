/**
 * `npm run bench:nab`: scores every series of the Numenta Anomaly Benchmark with
 * the library's series scorer (`scoreSeries`, what `rftfm score-series` runs) and
 * computes the NAB score for each profile (bench/nab/nab-score.ts).
 *
 * NAB is read from $RFTFM_NAB_DIR, by default ../shared/datasets/nab relative to
 * the repository root (data/<category>/<file>.csv, labels/combined_windows.json).
 * The scored files are written in NAB's results layout
 * (<out>/rftfm/<category>/rftfm_<file>.csv, by default under the system temp
 * directory; $RFTFM_NAB_OUT overrides), so NAB's own scorer can read them too.
 * Options: --backend native|wasm.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { scoreSeries, selectKernels } from "../../src/index.js";
import { PROFILES, type ScoredFile, scoreCorpus } from "./nab-score.js";

const root = join(import.meta.dirname, "../..");
const nabDir = process.env.RFTFM_NAB_DIR ?? join(root, "../shared/datasets/nab");
const outDir = process.env.RFTFM_NAB_OUT ?? join(tmpdir(), "rftfm-nab");
const backendArg = process.argv.indexOf("--backend");
const prefer = backendArg > 0 ? (process.argv[backendArg + 1] as "native" | "wasm") : "auto";

/** NAB timestamps ("2014-10-30 15:30:00" in data, "2014-10-30 15:30:00.000000" in labels) as ms. */
const time = (stamp: string) => Date.parse(`${stamp.slice(0, 19).replace(" ", "T")}Z`);

function csvFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".csv"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** A window's [start, end] timestamps as the inclusive row range they cover. */
function windowRows(times: number[], [start, end]: [string, string]): [number, number] {
  const [a, b] = [time(start), time(end)];
  const first = times.findIndex((t) => t >= a);
  const last = times.findLastIndex((t) => t <= b);
  if (first < 0 || last < first) throw new Error(`window ${start} .. ${end} covers no row`);
  return [first, last];
}

async function main() {
  const kernels = selectKernels({ prefer });
  const labels = JSON.parse(readFileSync(join(nabDir, "labels/combined_windows.json"), "utf8")) as Record<
    string,
    [string, string][]
  >;
  const files: ScoredFile[] = [];
  const started = performance.now();
  let rows = 0;
  for (const data of csvFiles(join(nabDir, "data"))) {
    const key = relative(join(nabDir, "data"), data);
    const result = join(outDir, "rftfm", dirname(key), `rftfm_${basename(key)}`);
    mkdirSync(dirname(result), { recursive: true });
    const series = parse(readFileSync(data), { columns: true, skip_empty_lines: true, trim: true }) as {
      timestamp: string;
      value: string;
    }[];
    const scores: number[] = [];
    for await (const { score } of scoreSeries(kernels, series, (row) => Number(row.value))) scores.push(score);
    writeFileSync(
      result,
      stringify(
        series.map((row, i) => [row.timestamp, row.value, scores[i]]),
        { header: true, columns: ["timestamp", "value", "anomaly_score"] },
      ),
    );
    rows += series.length;
    const times = series.map((r) => time(r.timestamp));
    const windows = (labels[key] ?? []).map((w) => windowRows(times, w));
    files.push({ scores, windows });
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `NAB: ${files.length} files, ${rows} rows scored on ${kernels.name} in ${seconds.toFixed(1)} s; results in ${join(outDir, "rftfm")}`,
  );
  console.log("profile              threshold   raw score   TP windows  FP rows  FN windows  NAB score");
  for (const profile of PROFILES) {
    const r = scoreCorpus(files, profile);
    console.log(
      `${r.profile.padEnd(20)} ${r.threshold.toFixed(6).padStart(9)} ${r.raw.toFixed(4).padStart(11)} ${String(r.tp).padStart(11)} ${String(r.fp).padStart(8)} ${String(r.fn).padStart(11)} ${r.normalized.toFixed(2).padStart(10)}`,
    );
  }
}

await main();
