import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  isProblem,
  type LineProblem,
  type LineSource,
  readLineBatches,
  readLines,
  type SourceLine,
  sourceName,
} from "../../src/index.js";
import { collect, tempDir } from "../telemetry/helpers.js";

const dir = tempDir();

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function read(sources: LineSource[], options = {}) {
  const items = await collect(readLines(sources, options));
  return {
    lines: items.filter((x): x is SourceLine => !isProblem(x)),
    problems: items.filter((x): x is LineProblem => isProblem(x)),
  };
}

/** Numbered JSON-ish lines `{"i":1}` .. `{"i":n}`. */
const numbered = (n: number, eol = "\n") => Array.from({ length: n }, (_, i) => `{"i":${i + 1}}`).join(eol) + eol;

describe("readLines: plain files", () => {
  it("numbers lines from 1 per source, skips blank lines but counts them", async () => {
    const a = write("a.jsonl", "one\n\n  \ntwo\nthree\n");
    const b = write("b.jsonl", "uno\ndos");
    const { lines, problems } = await read([a, b]);
    expect(problems).toEqual([]);
    expect(lines).toEqual([
      { source: a, line: 1, text: "one" },
      { source: a, line: 4, text: "two" },
      { source: a, line: 5, text: "three" },
      { source: b, line: 1, text: "uno" },
      { source: b, line: 2, text: "dos" }, // no final newline
    ]);
  });

  it("handles CRLF line ends", async () => {
    const path = write("crlf.jsonl", "a\r\nb\r\n\r\nc\r\n");
    const { lines } = await read([path]);
    expect(lines.map((l) => [l.line, l.text])).toEqual([
      [1, "a"],
      [2, "b"],
      [4, "c"],
    ]);
  });

  it("streams a file of many chunks without losing or splitting lines", async () => {
    const n = 30_000;
    const path = write("many.jsonl", numbered(n)); // ~300 kB: several read chunks
    let count = 0;
    let batches = 0;
    let wrong = 0;
    for await (const batch of readLineBatches([path])) {
      batches++;
      for (const item of batch) {
        count++;
        if (isProblem(item) || item.text !== `{"i":${count}}` || item.line !== count) wrong++;
      }
    }
    expect(count).toBe(n);
    expect(wrong).toBe(0);
    expect(batches).toBeLessThan(n / 100); // one batch per chunk, not per line
  });

  it("reports a file that cannot be opened and goes on with the next source", async () => {
    const missing = join(dir, "does-not-exist.jsonl");
    const ok = write("ok.jsonl", "x\n");
    const { lines, problems } = await read([missing, dir, ok]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatchObject({ source: missing, line: 0, cause: "source" });
    expect(problems[0].reason).toMatch(/^cannot read .*ENOENT/);
    expect(problems[1]).toMatchObject({ source: dir, line: 0, cause: "source" });
    expect(lines).toEqual([{ source: ok, line: 1, text: "x" }]);
  });

  it("skips and reports a line longer than the limit, then reads on", async () => {
    const path = write("long.jsonl", `short\n${"x".repeat(5000)}\nafter\n${"y".repeat(3000)}`);
    const { lines, problems } = await read([path], { maxLineLength: 1000 });
    expect(lines.map((l) => [l.line, l.text])).toEqual([
      [1, "short"],
      [3, "after"],
    ]);
    expect(problems.map((p) => [p.line, p.cause])).toEqual([
      [2, "malformed"],
      [4, "malformed"],
    ]);
    expect(problems[0].reason).toBe("line is longer than 1000 characters; skipped");
  });
});

describe("readLines: gzip", () => {
  const text = numbered(2000, "\r\n");

  it("reads a .jsonl.gz file", async () => {
    const { lines, problems } = await read([write("run.jsonl.gz", gzipSync(text))]);
    expect(problems).toEqual([]);
    expect(lines).toHaveLength(2000);
    expect(lines[1999]).toMatchObject({ line: 2000, text: '{"i":2000}' });
  });

  it("detects gzip by its magic bytes, not the file name", async () => {
    const { lines } = await read([write("misnamed.jsonl", gzipSync(text))]);
    expect(lines).toHaveLength(2000);
    expect(lines[0].text).toBe('{"i":1}');
  });

  it("reads concatenated gzip members as one stream", async () => {
    const path = write("members.gz", Buffer.concat([gzipSync("a\nb\n"), gzipSync("c\n")]));
    const { lines } = await read([path]);
    expect(lines.map((l) => l.text)).toEqual(["a", "b", "c"]);
  });

  it("reports a truncated gzip file at the last good line and goes on with the next source", async () => {
    const gz = gzipSync(text);
    const truncated = write("truncated.jsonl.gz", gz.subarray(0, Math.floor(gz.length / 2)));
    const next = write("next.jsonl", "after\n");
    const { lines, problems } = await read([truncated, next]);
    expect(problems).toHaveLength(1);
    const [problem] = problems;
    const fromTruncated = lines.filter((l) => l.source === truncated);
    expect(fromTruncated.length).toBeGreaterThan(100);
    expect(fromTruncated.length).toBeLessThan(2000);
    // Every line before the cut is whole and in order; the problem names the last one.
    fromTruncated.forEach((l, i) => {
      expect(l).toEqual({ source: truncated, line: i + 1, text: `{"i":${i + 1}}` });
    });
    expect(problem).toMatchObject({ source: truncated, line: fromTruncated.length, cause: "source" });
    expect(problem.reason).toMatch(/^gzip data is truncated or corrupt \(unexpected end of file\) after line \d+/);
    expect(lines.at(-1)).toEqual({ source: next, line: 1, text: "after" });
  });

  it("reports a corrupt gzip header", async () => {
    const path = write("bad-header.gz", Buffer.from([0x1f, 0x8b, 0x63, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]));
    const { lines, problems } = await read([path]);
    expect(lines).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0].reason).toMatch(/^gzip data is truncated or corrupt/);
  });
});

describe("readLines: streams", () => {
  it("reads a stream of text chunks, joining lines split across chunks", async () => {
    const stream = Readable.from(['{"a":', '1}\n{"b"', ":2}\r\n", "\n", '{"c":3}']);
    const { lines } = await read([stream]);
    expect(lines).toEqual([
      { source: "<stream 1>", line: 1, text: '{"a":1}' },
      { source: "<stream 1>", line: 2, text: '{"b":2}' },
      { source: "<stream 1>", line: 4, text: '{"c":3}' },
    ]);
  });

  it("decodes UTF-8 split inside a character across byte chunks", async () => {
    const bytes = Buffer.from("héllo wörld ✓\nnext\n");
    const chunks = [...bytes].map((b) => Buffer.from([b])); // one byte at a time
    const { lines } = await read([Readable.from(chunks)]);
    expect(lines.map((l) => l.text)).toEqual(["héllo wörld ✓", "next"]);
  });

  it("gunzips a byte stream that hands over one byte at a time", async () => {
    const gz = gzipSync("x\ny\n");
    const { lines } = await read([Readable.from([...gz].map((b) => Buffer.from([b])))]);
    expect(lines.map((l) => l.text)).toEqual(["x", "y"]);
  });

  it("names streams: given name, file path, or position", async () => {
    const named = { name: "trainer-pipe", stream: Readable.from(["a\n"]) };
    const { lines } = await read([named, Readable.from(["b\n"])]);
    expect(lines.map((l) => l.source)).toEqual(["trainer-pipe", "<stream 2>"]);
    expect(sourceName("-", 0)).toBe("stdin");
    expect(sourceName("run.jsonl", 3)).toBe("run.jsonl");
  });

  it("reports a stream that fails part way, after its last whole line", async () => {
    async function* failing() {
      yield Buffer.from("one\ntwo\nthr");
      throw new Error("connection reset");
    }
    const { lines, problems } = await read([Readable.from(failing()), Readable.from(["after\n"])]);
    expect(lines.map((l) => l.text)).toEqual(["one", "two", "after"]);
    expect(problems).toEqual([
      {
        source: "<stream 1>",
        line: 2,
        reason:
          "read failed (connection reset) after line 2; the incomplete line 3 was dropped; the rest of the source was skipped",
        cause: "source",
      },
    ]);
  });

  it("stops reading when the consumer stops, closing the file", async () => {
    const path = write("stop.jsonl", numbered(50_000));
    let seen = 0;
    for await (const item of readLines([path])) {
      if (!isProblem(item)) seen++;
      if (seen === 10) break;
    }
    expect(seen).toBe(10);
  });
});
