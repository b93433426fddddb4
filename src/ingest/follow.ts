/**
 * Following a file as it grows, like `tail -f`: its bytes from the start, then
 * each new piece as it is appended, found by polling its size (portable, and
 * a log is appended to in bursts, so a poll every few hundred milliseconds
 * loses nothing but that delay). Besides data, the follower says when the
 * file has gone quiet, and when it started over: truncated (its size went
 * below what was read, or its first bytes changed: copytruncate with a writer
 * that outgrew the old size between two polls) or replaced (the path names
 * another file: rotation, after the old file has been read to its end).
 */
import { type FileHandle, open, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Why a followed file started over. `rotated`: the path names a new file and the old one was
 * read to its end (nothing lost); `truncated`: the file was cut in place (what was written
 * before the cut since the last poll is lost).
 */
export type RestartCause = "rotated" | "truncated";

export type FollowEvent =
  | { kind: "data"; chunk: Buffer }
  /** No new data for `quietMs` (said once per quiet spell). */
  | { kind: "quiet" }
  /** The file started over, for `cause`; reading goes on from its first byte. */
  | { kind: "restart"; cause: RestartCause; reason: string };

export interface FollowOptions {
  /** How often to look for new data, in milliseconds (default 250). */
  pollMs?: number;
  /** How long without new data makes the file quiet, in milliseconds (default 2000). */
  quietMs?: number;
  /** Stop after this long without new data, in milliseconds (default: follow until aborted). */
  exitAfterMs?: number;
  /** Stops following (the generator then returns). */
  signal?: AbortSignal;
}

const READ_SIZE = 1 << 20;

/** How many of a file's first bytes fingerprint it (a log's first lines: a banner, a timestamp). */
const HEAD_BYTES = 256;

/** Whether the file still begins with `head`. */
async function startsWith(file: FileHandle, head: Buffer): Promise<boolean> {
  const now = Buffer.alloc(head.length);
  const { bytesRead } = await file.read(now, 0, head.length, 0);
  return bytesRead === head.length && now.equals(head);
}

/**
 * The file's data and events, until `signal` aborts or `exitAfterMs` passes
 * without data. A file that does not exist yet is waited for. Throws only what
 * reading an opened file throws (it does not for a regular file).
 */
export async function* followFile(path: string, options: FollowOptions = {}): AsyncGenerator<FollowEvent> {
  const pollMs = options.pollMs ?? 250;
  const quietMs = options.quietMs ?? 2000;
  const { exitAfterMs, signal } = options;
  let file: FileHandle | undefined;
  let inode = -1;
  let position = 0;
  let lastData = Date.now();
  let quiet = false;
  /** The first bytes read (up to HEAD_BYTES). */
  let head = Buffer.alloc(0);
  const buffer = Buffer.alloc(READ_SIZE);
  try {
    while (!signal?.aborted) {
      const onDisk = await stat(path).catch(() => undefined);
      if (file && onDisk && onDisk.ino !== inode) {
        // Renamed away (rotation): what was written to the old file since the last poll is read first,
        // from the handle still open on it, as `tail -F` does.
        for (;;) {
          const { size } = await file.stat();
          if (size <= position) break;
          const { bytesRead } = await file.read(buffer, 0, Math.min(READ_SIZE, size - position), position);
          if (bytesRead === 0) break;
          position += bytesRead;
          yield { kind: "data", chunk: Buffer.from(buffer.subarray(0, bytesRead)) };
        }
        await file.close();
        file = undefined;
        yield {
          kind: "restart",
          cause: "rotated",
          reason: `${path} was replaced by a new file (rotated); reading it from the start`,
        };
      }
      if (!file && onDisk) {
        file = await open(path, "r").catch(() => undefined);
        inode = onDisk.ino;
        position = 0;
        head = Buffer.alloc(0);
      }
      if (file) {
        const { size } = await file.stat();
        if (size < position) {
          position = 0;
          head = Buffer.alloc(0);
          yield {
            kind: "restart",
            cause: "truncated",
            reason: `${path} was truncated; reading it again from the start`,
          };
        } else if (position > 0 && head.length > 0 && !(await startsWith(file, head))) {
          // Truncated in place (copytruncate) and written past the old size before this poll: the size
          // cannot tell, the first bytes can.
          position = 0;
          head = Buffer.alloc(0);
          yield {
            kind: "restart",
            cause: "truncated",
            reason: `${path} was truncated and written again (its first bytes changed: copytruncate); reading it again from the start`,
          };
        }
        if (size > position) {
          const { bytesRead } = await file.read(buffer, 0, Math.min(READ_SIZE, size - position), position);
          if (position < HEAD_BYTES) {
            // The file's first bytes, its fingerprint: they change when it is truncated and written again.
            head = Buffer.concat([head, buffer.subarray(0, Math.min(bytesRead, HEAD_BYTES - position))]);
          }
          position += bytesRead;
          lastData = Date.now();
          quiet = false;
          yield { kind: "data", chunk: Buffer.from(buffer.subarray(0, bytesRead)) };
          continue; // more may be there already
        }
      }
      const silent = Date.now() - lastData;
      if (exitAfterMs !== undefined && silent >= exitAfterMs) return;
      if (!quiet && silent >= quietMs) {
        quiet = true;
        yield { kind: "quiet" };
      }
      try {
        await sleep(pollMs, undefined, { signal });
      } catch {
        return; // aborted
      }
    }
  } finally {
    await file?.close();
  }
}
