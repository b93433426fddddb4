/**
 * River (the Python online-learning library a user would pick instead) on the
 * detector benchmark's series, in the same run: installed from PyPI into a
 * bench-only virtual environment (build/bench-venv, made on first use), the
 * series handed over through a temporary directory, timed inside Python
 * (river_rates.py) so that process start and the hand-over are not counted.
 *
 * Skipped, with the reason, when python3, venv or pip fails, or when
 * RFTFM_BENCH_RIVER=skip (the smoke test sets it: no network there).
 * RFTFM_BENCH_PYTHON names another interpreter to build the environment with.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CaseResult, Measurement } from "./measurement.js";
import type { DetectorSeries } from "./series.js";

const REPO_ROOT = join(import.meta.dirname, "..", "..");
export const RIVER_VENV = join(REPO_ROOT, "build", "bench-venv");
const SCRIPT = join(import.meta.dirname, "river_rates.py");
const VENV_PYTHON = join(RIVER_VENV, process.platform === "win32" ? "Scripts/python.exe" : "bin/python");

/** Observations the drift detectors take, and steps HalfSpaceTrees takes (it is ~1000x slower). */
const LIMITS = { full: { drift: 200_000, hstRows: 1_000 }, quick: { drift: 2_000, hstRows: 20 } };

interface RiverFigure {
  observations: number;
  seconds: number;
  how: string;
}

/** Runs a command; the failure as one line (its stderr's last line), or undefined. */
function attempt(command: string, args: string[], timeoutMs: number): { stdout: string; failure?: string } {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: timeoutMs, maxBuffer: 16 << 20 });
  if (result.error) return { stdout: "", failure: `${command}: ${result.error.message}` };
  if (result.status !== 0) {
    const last = (result.stderr || result.stdout).trim().split("\n").at(-1) ?? "";
    return { stdout: result.stdout, failure: `${command} ${args.join(" ")} exited ${result.status}: ${last}` };
  }
  return { stdout: result.stdout };
}

/** The environment's interpreter with river importable, or why there is none. */
function riverPython(log: (line: string) => void): { python?: string; failure?: string } {
  if (existsSync(VENV_PYTHON) && !attempt(VENV_PYTHON, ["-c", "import river"], 60_000).failure)
    return { python: VENV_PYTHON };
  const base = process.env.RFTFM_BENCH_PYTHON || "python3";
  log(`  creating ${RIVER_VENV} and installing river from PyPI (once)`);
  const venv = attempt(base, ["-m", "venv", RIVER_VENV], 120_000);
  if (venv.failure) return { failure: venv.failure };
  const pip = attempt(VENV_PYTHON, ["-m", "pip", "install", "--quiet", "river"], 600_000);
  if (pip.failure) return { failure: pip.failure };
  return { python: VENV_PYTHON };
}

export async function riverRates(
  series: DetectorSeries,
  { quick, log }: { quick: boolean; log: (line: string) => void },
): Promise<CaseResult> {
  const skip = (reason: string): CaseResult => {
    log(`  River skipped: ${reason}`);
    return { measurements: [], skipped: { river: reason } };
  };
  if (process.env.RFTFM_BENCH_RIVER === "skip") return skip("RFTFM_BENCH_RIVER=skip");
  const { python, failure } = riverPython(log);
  if (!python) return skip(failure ?? "no python");
  const dir = mkdtempSync(join(tmpdir(), "rftfm-river-"));
  try {
    const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    writeFileSync(join(dir, "values.f64"), bytes(series.values));
    writeFileSync(join(dir, "runs.u32"), bytes(series.runs));
    writeFileSync(join(dir, "signals.u32"), bytes(series.signals));
    const limits = quick ? LIMITS.quick : LIMITS.full;
    const args = [SCRIPT, dir, "--drift-limit", String(limits.drift), "--hst-rows", String(limits.hstRows)];
    const result = attempt(python, args, 600_000);
    if (result.failure) return skip(result.failure);
    const figures = JSON.parse(result.stdout) as Record<string, RiverFigure>;
    const measurements: Measurement[] = Object.entries(figures).map(([detector, f]) => {
      const value = f.observations / f.seconds;
      log(`  River ${detector.padEnd(15)} ${(value / 1e6).toFixed(4).padStart(8)} M updates/s  (${f.how})`);
      return { name: `river ${detector}`, backend: "river", unit: "updates/s", value, rme: null };
    });
    return { measurements, skipped: {} };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
