/**
 * Fuzz targets, one per ingest adapter (src/ingest/formats/*), each called directly
 * (not through detection): whatever lines or bytes come in, a line adapter does not
 * throw, hands on only records of the four kinds, and numbers its problems with the
 * lines it was given; a document adapter's detection does not throw, and its reading
 * ends or throws an Error (the reader reports that as "not a readable <format> file",
 * src/ingest/source.ts), never anything else. Cases that failed are kept under
 * test/fixtures/fuzz/<format>/.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DocumentFormat, LineFormat, Sink } from "../../src/ingest/format.js";
import { DOCUMENT_FORMATS, LINE_FORMATS } from "../../src/ingest/formats/index.js";
import { RECORD_KINDS } from "../../src/telemetry/records.js";
import { fixtures, fuzz, testTimeout, withoutStrayRejections } from "./budget.js";

const formats = join(import.meta.dirname, "../fixtures/formats");
const textFixtures = readdirSync(formats).filter((n) => /\.(log|jsonl|csv)$/.test(n));
const fixtureLines = [
  ...textFixtures.flatMap((n) => readFileSync(join(formats, n), "utf8").split("\n")),
  ...readdirSync(join(formats, "verl-rollout")).flatMap((n) =>
    readFileSync(join(formats, "verl-rollout", n), "utf8").split("\n"),
  ),
].filter((l) => l.trim());

/** Values that reach number, name and structure parsing in every text format. */
const tokens = [
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  '"',
  "'",
  "NaN",
  "-Infinity",
  "1e309",
  "-0",
  "null",
  "np.float64(",
  "tensor(",
  ")",
  "step:",
  " - ",
  "\u001b[32m",
  "\r",
  "\t",
  "__proto__",
  "constructor",
  '"kind":"step"',
  '"run":',
  '"step":',
  "9007199254740993",
  "\uFEFF",
  "\uD800",
];

/** One line: a fixture line mutated, random text, tokens strung together, or a long run of one character. */
const line = fc.oneof(
  fc
    .tuple(fc.constantFrom(...fixtureLines), fc.nat(), fc.nat({ max: 12 }), fc.string({ maxLength: 8 }))
    .map(([text, at, cut, insert]) => {
      const i = at % (text.length + 1);
      return text.slice(0, i) + insert + text.slice(i + cut);
    }),
  fc.string({ maxLength: 120, unit: "binary" }),
  fc.array(fc.constantFrom(...tokens, "0.5", "3", "loss", "reward"), { maxLength: 30 }).map((t) => t.join("")),
  fc
    .tuple(
      fc.constantFrom("{'loss': ", "step:1 - a:", '{"kind":"step","run":"r","step":1,"metrics":{"x":'),
      fc.constantFrom(" ", "(", "[", "9", "'"),
      fc.nat({ max: 3000 }),
    )
    .map(([head, c, n]) => head + c.repeat(n)),
);
const lines = fc.array(line, { minLength: 1, maxLength: 12 });

/** A sink that checks what the adapter hands it. */
function checkingSink(lineCount: number): Sink & { records: number } {
  const sink = {
    records: 0,
    record(record: { kind: string }, at: number) {
      expect(RECORD_KINDS).toContain(record.kind);
      expect(Number.isInteger(at)).toBe(true);
      sink.records++;
    },
    problem(problem: { line: number; reason: string }) {
      expect(typeof problem.reason).toBe("string");
      expect(problem.line).toBeGreaterThanOrEqual(0);
      expect(problem.line).toBeLessThanOrEqual(lineCount + 1);
    },
    other() {},
    inferred(steps: number, how: string) {
      expect(Number.isInteger(steps) && steps >= 0).toBe(true);
      expect(typeof how).toBe("string");
    },
  };
  return sink as unknown as Sink & { records: number };
}

function readLines(format: LineFormat, input: string[]): void {
  const parser = format.open({ source: "fuzz", run: "fuzz", options: {} });
  const sink = checkingSink(input.length);
  input.forEach((text, i) => {
    format.claims(text);
    if (text.trim()) parser.line(text, i + 1, sink, i === input.length - 1);
  });
  parser.end(sink);
}

describe.each(LINE_FORMATS.map((f) => [f.name, f] as const))("fuzz: the %s adapter", (name, format) => {
  it("never throws, whatever lines come in", { timeout: testTimeout }, async () => {
    await fuzz(
      name,
      lines,
      (input) => readLines(format, input),
      (input) => input.join("\n"),
    );
  });

  it.each(fixtures(name).map(([file, bytes]) => [file, bytes] as const))("replays the kept case %s", (_, bytes) => {
    readLines(format, bytes.toString("utf8").split("\n"));
  });
});

/** The fixture each document format reads, to mutate: a real file is what reaches its inner paths. */
const documentSeeds: Record<string, Buffer[]> = {
  "trl-completions": readdirSync(join(formats, "trl-completions")).map((n) =>
    readFileSync(join(formats, "trl-completions", n)),
  ),
  parquet: readdirSync(join(formats, "trl-completions")).map((n) => readFileSync(join(formats, "trl-completions", n))),
  "trl-state": [readFileSync(join(formats, "trainer_state.json"))],
  arrow: [Buffer.from("ARROW1\0\0"), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0])],
};

function documentBytes(name: string): fc.Arbitrary<Uint8Array> {
  const seeds = documentSeeds[name] ?? [Buffer.alloc(0)];
  return fc.oneof(
    fc.uint8Array({ maxLength: 400 }),
    fc
      .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 }), fc.nat())
      .map(([seed, edits, cut]) => {
        const copy = Buffer.from(seed);
        for (const [at, byte] of edits) copy[at % Math.max(copy.length, 1)] = byte;
        return cut % 3 === 0 ? copy.subarray(0, cut % (copy.length + 1)) : copy;
      }),
  );
}

async function readDocument(format: DocumentFormat, bytes: Uint8Array): Promise<void> {
  const input = {
    bytes: async () => bytes,
    chunks: async function* () {
      yield bytes;
    },
  };
  await format.claims(bytes.subarray(0, 65536), input);
  const sink = checkingSink(Number.MAX_SAFE_INTEGER);
  try {
    for await (const _ of format.read(input, { source: "fuzz", run: "fuzz", options: {} }, sink)) {
      // each batch: nothing to do but go on
    }
  } catch (error) {
    // The reader's contract for a corrupt document; an assertion of the sink is not that.
    if ((error as Error)?.name === "AssertionError") throw error;
    expect(error).toBeInstanceOf(Error);
  }
}

describe.each(DOCUMENT_FORMATS.map((f) => [f.name, f] as const))("fuzz: the %s adapter", (name, format) => {
  it("never throws, whatever bytes come in", { timeout: testTimeout }, async () => {
    await fuzz(
      name,
      documentBytes(name),
      (bytes) => readDocument(format, bytes),
      (bytes) => bytes,
    );
  });

  it.each(fixtures(name).map(([file, bytes]) => [file, bytes] as const))(
    "replays the kept case %s",
    async (_, bytes) => {
      await withoutStrayRejections(() => readDocument(format, new Uint8Array(bytes)));
    },
  );
});

describe("a corrupt Parquet file the fuzzer found", () => {
  it("is reported as unreadable, and the scan goes on with the other files instead of ending", async () => {
    const { runCli, root, jsonLines } = await import("../cli/run-cli.js");
    const [[name]] = fixtures("parquet");
    const r = runCli([
      "scan",
      join(import.meta.dirname, "../fixtures/fuzz/parquet", name),
      `${root}/examples/small-run.jsonl`,
      "--json",
    ]);
    expect(jsonLines(r.stdout).map((l) => l.run)).toEqual(["demo-healthy", "demo-entropy-collapse"]);
    expect(r.stderr).toMatch(/not a readable (trl-completions|parquet) file/);
    expect(r.stderr).not.toMatch(/hyparquet/);
    expect(r.status).toBe(1);
  });
});
