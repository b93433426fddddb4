/**
 * The fuzz targets' shared harness: a fixed time budget per target (small in CI,
 * long under `npm run fuzz`), and the crashes found kept as fixtures.
 *
 * - `RFTFM_FUZZ_MS`: milliseconds per target (default 600: the whole set in seconds).
 * - `RFTFM_FUZZ_SAVE=1` (set by `npm run fuzz`): a failing case found is written to
 *   `test/fixtures/fuzz/<target>/` before the test fails, so that it is replayed by
 *   every later run (`replayFixtures`), fixed or not.
 * - `RFTFM_FUZZ_SEED`: replays one run of fast-check (the seed its failure report prints).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";

export const FIXTURES = join(import.meta.dirname, "../fixtures/fuzz");

export const budgetMs = Number(process.env.RFTFM_FUZZ_MS ?? 600);
/** The vitest timeout of a fuzz test: its budget plus room for the case that runs when the budget ends. */
export const testTimeout = budgetMs + 30_000;

/** fast-check's parameters for one target: as many runs as fit in the budget. */
export function budget<T>(): fc.Parameters<T> {
  const seed = process.env.RFTFM_FUZZ_SEED;
  return {
    numRuns: Number.MAX_SAFE_INTEGER,
    interruptAfterTimeLimit: budgetMs,
    markInterruptAsFailure: false,
    ...(seed ? { seed: Number(seed) } : {}),
  };
}

/** A fixture's bytes as written: a string case is stored as UTF-8 text, bytes as they are. */
export type Case = string | Uint8Array;

function encodeCase(value: Case): Uint8Array {
  return typeof value === "string" ? Buffer.from(value, "utf8") : value;
}

/**
 * Checks `property` over `arbitrary` for the budget; with `RFTFM_FUZZ_SAVE=1` the
 * shrunk counterexample is kept under `test/fixtures/fuzz/<target>/` (its case through
 * `toCase`). Rethrows fast-check's report, which names the seed.
 */
export async function fuzz<T>(
  target: string,
  arbitrary: fc.Arbitrary<T>,
  property: (value: T) => Promise<void> | void,
  toCase: (value: T) => Case,
): Promise<void> {
  const details = await fc.check(
    fc.asyncProperty(arbitrary, async (v) => {
      await property(v);
    }),
    budget<[T]>(),
  );
  if (!details.failed) return;
  const [example] = details.counterexample ?? [];
  let kept = "";
  if (process.env.RFTFM_FUZZ_SAVE === "1" && example !== undefined)
    kept = `; kept as ${saveFixture(target, toCase(example))}`;
  throw new Error(`fuzz ${target}${kept}\n${fc.defaultReportMessage(details)}`);
}

export function saveFixture(target: string, value: Case): string {
  const bytes = encodeCase(value);
  const dir = join(FIXTURES, target);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `found-${createHash("sha256").update(bytes).digest("hex").slice(0, 12)}`);
  writeFileSync(path, bytes);
  return path;
}

/** The kept cases of a target (`[name, bytes]`), replayed by every run. */
export function fixtures(target: string): [string, Buffer][] {
  const dir = join(FIXTURES, target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !name.startsWith("."))
    .sort()
    .map((name) => [name, readFileSync(join(dir, name))]);
}

/**
 * Runs `fn` and fails when it left a promise rejected with no handler: in the CLI that
 * ends the process (Node's default for unhandled rejections), so it is a crash too.
 */
export async function withoutStrayRejections(fn: () => Promise<void>): Promise<void> {
  const stray: unknown[] = [];
  const note = (reason: unknown) => stray.push(reason);
  process.on("unhandledRejection", note);
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 1));
  } finally {
    process.off("unhandledRejection", note);
  }
  if (stray.length > 0) {
    throw new Error(`left ${stray.length} unhandled rejection(s), the first: ${String(stray[0])}`);
  }
}
