import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

/** Path of a hand-written fixture under test/fixtures/telemetry. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/telemetry/${name}`, import.meta.url));
}

/** Path of a checked-in example under examples/. */
export function example(name: string): string {
  return fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
}

/** A temporary directory for this test file, removed after its tests. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "rftfm-telemetry-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
