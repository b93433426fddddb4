/**
 * The headline ratios of `npm run bench -- --json`, computed from the run's
 * measurements. A ratio whose inputs did not run is null, and `reasons` says why.
 * The scanner ratios are taken at the largest B (where per-call overhead is
 * smallest and memory bandwidth matters most); per-size ratios sit beside them.
 */

import { BULK_SCAN } from "./bulk.js";
import { DETECTORS_BATCH } from "./detectors.js";
import { findMeasurement, type Measurement } from "./measurement.js";
import { observeName } from "./observe.js";
import { scannerName } from "./scanner.js";

export interface Ratios {
  ratios: Record<string, number | null>;
  reasons: Record<string, string>;
}

export function computeRatios(measurements: readonly Measurement[], skipped: Record<string, string>): Ratios {
  const ratios: Record<string, number | null> = {};
  const reasons: Record<string, string> = {};
  const value = (name: string, backend: string, unit: string) =>
    findMeasurement(measurements, name, backend, unit)?.value;
  const set = (key: string, x: number | undefined, reason: string) => {
    ratios[key] = x !== undefined && Number.isFinite(x) ? x : null;
    if (ratios[key] === null) reasons[key] = reason;
  };
  const quotient = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined ? a / b : undefined;

  const scannerSizes = [
    ...new Set(measurements.filter((m) => m.name.startsWith("scanner B=")).map((m) => Number(m.name.slice(10)))),
  ].sort((a, b) => a - b);
  const largest = scannerSizes.at(-1);
  const scanner = (rows: number | undefined, backend: string) =>
    rows === undefined ? undefined : value(scannerName(rows), backend, "values/s");
  const noScanner = "the scanner case did not run";
  set("scanner_native_vs_roofline", quotient(scanner(largest, "native"), scanner(largest, "rust")), noScanner);
  set("scanner_wasm_vs_native", quotient(scanner(largest, "wasm"), scanner(largest, "native")), noScanner);
  set("scanner_native_vs_typescript", quotient(scanner(largest, "native"), scanner(largest, "typescript")), noScanner);
  for (const rows of scannerSizes) {
    set(`scanner_native_vs_roofline_B${rows}`, quotient(scanner(rows, "native"), scanner(rows, "rust")), noScanner);
    set(`scanner_wasm_vs_native_B${rows}`, quotient(scanner(rows, "wasm"), scanner(rows, "native")), noScanner);
  }

  const riverBest = Math.max(
    ...measurements.filter((m) => m.backend === "river").map((m) => m.value),
    Number.NEGATIVE_INFINITY,
  );
  set(
    "detectors_native_vs_river",
    quotient(value(DETECTORS_BATCH, "native", "updates/s"), Number.isFinite(riverBest) ? riverBest : undefined),
    skipped.river ? `River did not run: ${skipped.river}` : "the detector case did not run",
  );
  set(
    "detectors_wasm_vs_native",
    quotient(value(DETECTORS_BATCH, "wasm", "updates/s"), value(DETECTORS_BATCH, "native", "updates/s")),
    "the detector case did not run",
  );

  const observeRows = measurements.some((m) => m.name === observeName(1024)) ? 1024 : undefined;
  set(
    "observe_p99_ms",
    observeRows === undefined ? undefined : value(observeName(observeRows), "native", "p99 ms/step"),
    "the observe case did not run at B=1024",
  );

  const bulkName = measurements.find((m) => m.name.startsWith(BULK_SCAN) && m.unit === "s")?.name;
  set(
    "faultbench_size_scan_s",
    bulkName === undefined ? undefined : value(bulkName, "cli", "s"),
    skipped.bulk ?? "the bulk case did not run",
  );
  return { ratios, reasons };
}
