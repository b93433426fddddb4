import { once } from "node:events";
import type { Writable } from "node:stream";
import { encodeJson } from "../telemetry/encode.js";

/** One JSON line, non-finite numbers written as the telemetry convention ("NaN", "Infinity", "-Infinity"). */
export function toJsonLine(value: unknown): string {
  return `${encodeJson(value)}\n`;
}

/**
 * Writes text to a stream, waiting when its buffer is full so that a long scan
 * piped into a slow reader does not pile its whole output up in memory.
 */
export async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, "drain");
}
