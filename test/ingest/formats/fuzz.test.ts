/** No input bytes make a reader throw: whatever comes in, problems are reported and reading ends normally. */
import { readdirSync, readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FORMAT_NAMES, type FormatName } from "../../../src/ingest/format.js";
import { formatFixture, readAll } from "./helpers.js";

/** Signatures that send bytes down each detector's deeper paths. */
const MAGICS = [
  Buffer.from("PAR1"),
  Buffer.from("ARROW1\0\0"),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0]),
  Buffer.from('{\n  "log_history": ['),
  Buffer.from([0x1f, 0x8b]),
];

/** Lines of every text fixture: mutated, cut and shuffled, they reach the parsers' inner paths. */
const fixtureLines = [
  "trl-console.log",
  "verl-console.log",
  "verl-file.jsonl",
  "wandb-export.csv",
  "swift-logging.jsonl",
  "openrlhf-history.jsonl",
  "verl-rollout/1.jsonl",
].flatMap((name) => readFileSync(formatFixture(name), "utf8").split("\n"));
const parquetFixture = readFileSync(
  formatFixture(`trl-completions/${readdirSync(formatFixture("trl-completions"))[0]}`),
);

const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.tuple(fc.constantFrom(...MAGICS), fc.uint8Array({ maxLength: 200 })).map(([m, rest]) => Buffer.concat([m, rest])),
  fc
    .array(
      fc.tuple(fc.constantFrom(...fixtureLines), fc.nat(), fc.string({ maxLength: 6 })).map(([line, at, insert]) => {
        const cut = at % (line.length + 1);
        return line.slice(0, cut) + insert + line.slice(cut + insert.length);
      }),
      { maxLength: 8 },
    )
    .map((lines) => Buffer.from(lines.join("\n"))),
  fc.tuple(fc.nat(), fc.nat({ max: 255 })).map(([at, byte]) => {
    const copy = Buffer.from(parquetFixture); // a real Parquet file with one byte changed
    copy[at % copy.length] = byte;
    return copy;
  }),
);

async function read(input: Uint8Array, format?: FormatName) {
  const { steps, report } = await readAll([Readable.from([input])], format ? { format } : {});
  return { steps, report };
}

describe("any bytes, any format", () => {
  it("never throws when the format is detected", async () => {
    await fc.assert(
      fc.asyncProperty(bytes, fc.boolean(), async (input, zip) => {
        const { report } = await read(zip ? gzipSync(input) : input);
        expect(report.sources).toBe(1);
      }),
      { numRuns: 150 },
    );
  });

  it.each(FORMAT_NAMES)("never throws when read as %s", async (format) => {
    await fc.assert(
      fc.asyncProperty(bytes, async (input) => {
        const { steps, report } = await read(input, format);
        for (const step of steps) expect(Number.isSafeInteger(step.step)).toBe(true);
        expect(report.problemCount).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 40 },
    );
  });
});
