/**
 * The server's state on disk: one JSON file in --state-dir, written whole to a
 * temporary file and renamed over the old one, so a crash mid-write leaves the
 * previous state, never half of one.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SessionSnapshot } from "./session.js";

export const STATE_FILE = "rftfm-serve-state.json";

export class StateStore {
  readonly path: string;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, STATE_FILE);
  }

  /** The saved state, or undefined when there is none; throws naming the file when it is unreadable. */
  load(): SessionSnapshot | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new Error(`${this.path}: cannot read the saved state: ${(err as Error).message}`);
    }
    try {
      return JSON.parse(text) as SessionSnapshot;
    } catch (err) {
      throw new Error(`${this.path}: not a saved state: ${(err as Error).message}`);
    }
  }

  save(snapshot: SessionSnapshot): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    // The snapshot is JSON-safe by the Monitor's contract (no NaN in it), so plain JSON round-trips it.
    writeFileSync(tmp, JSON.stringify(snapshot));
    renameSync(tmp, this.path);
  }
}
