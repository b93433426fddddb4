/**
 * The summaries of runs a log monitor let go of, held in bounded memory: up to
 * `maxHeld` of them in a map, and past that written out, sorted by run id, as
 * chunks of JSON lines in a temporary directory. At the end the chunks and what
 * is still held are merged by run id (a k-way merge reading each chunk a line at
 * a time), so a scan of any number of runs keeps every summary (issue 13 item 3)
 * without holding them all (item 8).
 *
 * Order: while nothing was written out, summaries come in the order their runs
 * were first let go of (then the runs still held); once a chunk was written,
 * every summary comes sorted by run id (code-unit order).
 *
 * A chunk that cannot be written (no temporary directory, a full disk) loses
 * nothing: the summaries stay held in memory from then on, and `failure` says so.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunSummary } from "../verdict/types.js";

/** Summaries held in memory before the held ones are written out as a chunk (about 770 B each). */
export const HELD_SUMMARIES = 20_000;

/** Joins two summaries of one run; `earlier` is the part the monitor saw first. */
export type JoinSummaries = (earlier: RunSummary, later: RunSummary) => RunSummary;

/** Summaries joined into one write. */
const WRITE_PIECE = 1000;

const byRun = (a: RunSummary, b: RunSummary) => (a.run < b.run ? -1 : a.run > b.run ? 1 : 0);

export class SummarySpill {
  private held = new Map<string, RunSummary>();
  private dir: string | undefined;
  private readonly chunks: string[] = [];
  private failed: string | undefined;

  constructor(
    private readonly join: JoinSummaries,
    private readonly maxHeld = HELD_SUMMARIES,
  ) {
    if (!(Number.isInteger(maxHeld) && maxHeld >= 1))
      throw new Error(`summary spill: maxHeld ${maxHeld} is not 1 or more`);
  }

  /** The temporary directory of the chunks, while there is one. */
  get directory(): string | undefined {
    return this.dir;
  }

  /** Chunks written so far (0: everything is in memory, in first-seen order). */
  get spilledChunks(): number {
    return this.chunks.length;
  }

  /** Why summaries are held in memory past the bound (a chunk could not be written); undefined while none failed. */
  get failure(): string | undefined {
    return this.failed;
  }

  /** Adds a summary, joined after what is held of its run; past the bound the held ones go to a chunk. */
  add(summary: RunSummary): void {
    this.hold(summary);
    if (this.held.size < this.maxHeld || this.failed !== undefined) return;
    try {
      this.writeChunk();
    } catch (error) {
      this.failed =
        `could not write run summaries to a temporary directory (${(error as Error).message}): ` +
        `${this.held.size} and more are held in memory instead`;
    }
  }

  /**
   * Every summary, each run once: the chunks' and the held ones merged with `last`
   * (the runs the monitor still holds, joined after their earlier parts). Call once.
   */
  async *drain(last: Iterable<RunSummary>): AsyncGenerator<RunSummary> {
    for (const summary of last) this.hold(summary);
    const held = [...this.held.values()];
    this.held = new Map();
    if (this.chunks.length === 0) {
      yield* held;
      return;
    }
    held.sort(byRun);
    yield* this.merge([...this.chunks.map(readChunk), arrayCursor(held)]);
  }

  /** Removes the temporary directory (idempotent; also after an error mid-drain). */
  close(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.held = new Map();
  }

  /** Holds a summary, joined after what is held of its run. */
  private hold(summary: RunSummary): void {
    const earlier = this.held.get(summary.run);
    this.held.set(summary.run, earlier ? this.join(earlier, summary) : summary);
  }

  /** Writes the held summaries as a sorted chunk, in pieces (no one string of them all); on a failure they stay held. */
  private writeChunk(): void {
    this.dir ??= mkdtempSync(join(tmpdir(), "rftfm-summaries-"));
    const sorted = [...this.held.values()].sort(byRun);
    const path = join(this.dir, `chunk-${this.chunks.length}.jsonl`);
    const fd = openSync(path, "w");
    try {
      for (let i = 0; i < sorted.length; i += WRITE_PIECE) {
        const piece = sorted.slice(i, i + WRITE_PIECE).map((s) => `${JSON.stringify(s)}\n`);
        writeSync(fd, piece.join(""));
      }
    } catch (error) {
      closeSync(fd);
      rmSync(path, { force: true });
      throw error;
    }
    closeSync(fd);
    this.chunks.push(path);
    this.held = new Map();
  }

  /** The k-way merge: the smallest run id among the sources' heads, its parts joined in source (= time) order. */
  private async *merge(sources: AsyncIterator<RunSummary>[]): AsyncGenerator<RunSummary> {
    const heads: (RunSummary | undefined)[] = [];
    for (const source of sources) heads.push((await source.next()).value);
    for (;;) {
      let smallest: string | undefined;
      for (const head of heads) if (head && (smallest === undefined || head.run < smallest)) smallest = head.run;
      if (smallest === undefined) return;
      let joined: RunSummary | undefined;
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i];
        if (head?.run !== smallest) continue;
        joined = joined ? this.join(joined, head) : head;
        heads[i] = (await sources[i].next()).value;
      }
      yield joined!;
    }
  }
}

async function* arrayCursor(items: RunSummary[]): AsyncGenerator<RunSummary> {
  yield* items;
}

/** A chunk's summaries, a line at a time (each chunk holds a run at most once, sorted). */
async function* readChunk(path: string): AsyncGenerator<RunSummary> {
  const file = await open(path);
  try {
    for await (const line of file.readLines()) if (line) yield JSON.parse(line) as RunSummary;
  } finally {
    await file.close();
  }
}
