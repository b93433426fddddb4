/**
 * `npm run bench`: every throughput benchmark in one run (issue 15's table):
 * the scanner beside its memory roofline and plain TypeScript, the detector
 * bank beside River, Monitor.observe latency, and a bulk `rftfm scan` of an
 * RFT-FaultBench-size corpus. docs/performance.md reads the result.
 *
 *   npm run bench                   progress and a table on stderr/stdout
 *   npm run bench -- --json         ONE JSON object on stdout (progress on stderr)
 *   npm run bench -- --quick        tiny sizes and short timings: a smoke run
 *   npm run bench -- --only scanner,detectors
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { bulkCase } from "./throughput/bulk.js";
import { detectorsCase } from "./throughput/detectors.js";
import { machineInfo } from "./throughput/machine.js";
import type { Measurement, ThroughputCase } from "./throughput/measurement.js";
import { observeCase } from "./throughput/observe.js";
import { computeRatios } from "./throughput/ratios.js";
import { scannerCase } from "./throughput/scanner.js";

const CASES: ThroughputCase[] = [scannerCase, detectorsCase, observeCase, bulkCase];

const { values: args } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const only = args.only?.split(",").map((s) => s.trim());
const unknown = only?.filter((name) => !CASES.some((c) => c.name === name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`bench: no case named ${unknown.join(", ")} (cases: ${CASES.map((c) => c.name).join(", ")})\n`);
  process.exit(2);
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const machine = machineInfo();
const started = performance.now();
const measurements: Measurement[] = [];
const skipped: Record<string, string> = {};
const seconds: Record<string, number> = {};
for (const c of CASES) {
  if (only && !only.includes(c.name)) {
    skipped[c.name] = "not selected (--only)";
    continue;
  }
  log(`${c.name}:`);
  const caseStarted = performance.now();
  const result = await c.run({ quick: args.quick, log });
  seconds[c.name] = (performance.now() - caseStarted) / 1000;
  measurements.push(...result.measurements);
  Object.assign(skipped, result.skipped);
}
const { ratios, reasons } = computeRatios(measurements, skipped);
const report = {
  date: new Date().toISOString(),
  quick: args.quick,
  machine,
  load_average_end: loadavg().map((x) => Math.round(x * 100) / 100),
  wall_s: (performance.now() - started) / 1000,
  case_s: seconds,
  measurements,
  ratios,
  ratio_reasons: reasons,
  skipped,
};

if (args.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const figure = (x: number) => (Math.abs(x) >= 1e4 ? x.toExponential(3) : x.toPrecision(4));
  console.log(`\n${"name".padEnd(34)}${"backend".padEnd(12)}${"unit".padEnd(14)}${"value".padStart(12)}   ±%`);
  for (const m of measurements) {
    console.log(
      `${m.name.padEnd(34)}${m.backend.padEnd(12)}${m.unit.padEnd(14)}${figure(m.value).padStart(12)}   ${m.rme === null ? "" : m.rme.toFixed(1)}`,
    );
  }
  console.log("\nratios");
  for (const [k, v] of Object.entries(ratios))
    console.log(`  ${k.padEnd(36)}${v === null ? `null (${reasons[k]})` : figure(v)}`);
  for (const [k, v] of Object.entries(skipped)) console.log(`  skipped ${k}: ${v}`);
  console.log(
    `\n${report.machine.cpu_model}, ${report.machine.cpus} CPUs, node ${report.machine.node}, ${report.wall_s.toFixed(0)} s`,
  );
}
