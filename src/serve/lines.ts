/**
 * One NDJSON conversation over a pair of streams (stdio, or one Unix socket
 * connection): lines in, replies out, in order.
 *
 * Backpressure, not queues: the session answers each line synchronously, and
 * when the reply stream's buffer is full the input is paused until it drains,
 * so a client that does not read its replies stops being read, rather than the
 * server holding its replies in memory. A line longer than `maxLineBytes` is
 * refused with one error reply and skipped up to its newline; the scan for
 * newlines is linear in the input.
 */
import type { Readable, Writable } from "node:stream";
import { encodeJson } from "../telemetry/encode.js";
import type { Reply } from "./session.js";

export interface LineHandler {
  handleLine(text: string): Reply | undefined;
  counters: { badLines: number };
}

/** Default cap on one request line: 64 MiB (a 1M-trajectory tensor of a few columns fits). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Serves lines from `input` until it ends; resolves then. */
export function serveLines(
  session: LineHandler,
  input: Readable,
  output: Writable,
  maxLineBytes = MAX_LINE_BYTES,
): Promise<void> {
  let parts: Buffer[] = [];
  let held = 0;
  let skipping = false;
  const reply = (r: Reply | undefined) => {
    if (r && !output.write(`${encodeJson(r)}\n`)) {
      input.pause();
      output.once("drain", () => input.resume());
    }
  };
  const onLine = (line: Buffer) => {
    const text = line.toString("utf8").trim();
    if (text !== "") reply(session.handleLine(text));
  };
  input.on("data", (chunk: Buffer | string) => {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      if (skipping) skipping = false;
      else {
        const piece = buf.subarray(start, nl);
        if (held === 0) onLine(piece);
        else {
          parts.push(piece);
          onLine(Buffer.concat(parts));
        }
      }
      parts = [];
      held = 0;
      start = nl + 1;
    }
    if (start < buf.length && !skipping) {
      const rest = buf.subarray(start);
      if (held + rest.length > maxLineBytes) {
        session.counters.badLines++;
        reply({ kind: "error", error: `line longer than ${maxLineBytes} bytes: skipped` });
        parts = [];
        held = 0;
        skipping = true;
      } else {
        // Copied: the chunk's buffer may be reused by the stream.
        parts.push(Buffer.from(rest));
        held += rest.length;
      }
    }
  });
  return new Promise((resolve) => {
    const done = () => {
      if (held > 0 && !skipping) onLine(Buffer.concat(parts));
      parts = [];
      held = 0;
      resolve();
    };
    input.once("end", done);
    input.once("close", done);
    input.once("error", done);
  });
}
