/**
 * Following a log through rotation: a renamed log is read to its end before
 * the new file (lines written between two polls are not lost); a log truncated
 * in place and written past its old size before the next poll (copytruncate)
 * is seen by its first bytes, and read again from the start.
 */
import { appendFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type FollowEvent, followFile } from "../../src/ingest/follow.js";
import { tempDir } from "../telemetry/helpers.js";

const dir = tempDir();

/** The events, the test acting on the file after the first data event (the follower waits meanwhile). */
async function follow(path: string, act: () => void): Promise<FollowEvent[]> {
  const events: FollowEvent[] = [];
  let acted = false;
  for await (const event of followFile(path, { pollMs: 20, quietMs: 10_000, exitAfterMs: 300 })) {
    events.push(event);
    if (!acted && event.kind === "data") {
      acted = true;
      act();
    }
  }
  return events;
}

const text = (events: FollowEvent[]) =>
  events.map((e) => (e.kind === "data" ? e.chunk.toString() : e.kind === "restart" ? `<restart: ${e.reason}>` : ""));

describe("followFile through rotation", () => {
  it("rename: reads the old file to its end, then the new one from its start", async () => {
    const path = join(dir, "renamed.log");
    writeFileSync(path, "a1\na2\n");
    const events = await follow(path, () => {
      appendFileSync(path, "a3\na4\n"); // written after the last poll ...
      renameSync(path, `${path}.1`); // ... and rotated away before the next
      writeFileSync(path, "b1\n");
    });
    const seen = text(events).join("");
    expect(seen).toBe(
      `a1\na2\na3\na4\n<restart: ${path} was replaced by a new file (rotated); reading it from the start>b1\n`,
    );
  });

  it("copytruncate: a file truncated and written past its old size is read again from the start, and said", async () => {
    const path = join(dir, "copytruncated.log");
    writeFileSync(path, "old 1\nold 2\n");
    const events = await follow(path, () => {
      writeFileSync(path, "new 1\nnew 2\nnew 3\n"); // truncated, then longer than before, before the next poll
    });
    const seen = text(events);
    expect(seen[0]).toBe("old 1\nold 2\n");
    expect(seen[1]).toMatch(/was truncated and written again \(its first bytes changed: copytruncate\)/);
    expect(seen.slice(2).join("")).toBe("new 1\nnew 2\nnew 3\n");
  });
});
