import { once } from "node:events";
import type { Writable } from "node:stream";

/** JSON with the telemetry convention for non-finite numbers ("NaN", "Infinity", "-Infinity"). */
export function toJsonLine(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v) =>
      typeof v === "number" && !Number.isFinite(v) ? String(v) : v instanceof Float64Array ? Array.from(v) : v,
    ) + "\n"
  );
}

/**
 * Writes text to a stream, waiting when its buffer is full so that a long scan
 * piped into a slow reader does not pile its whole output up in memory.
 */
export async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, "drain");
}
