#!/usr/bin/env node
/**
 * Writes canonical JSONL to stdout for measuring ingest memory (issue 13, item 8;
 * docs/formats.md, "Memory"): not committed data, regenerated when measured.
 *   node scripts/gen-bounds-input.mjs runs N      N runs of one step each, their lines interleaved so
 *                                                 that every run's step stays open until input ends
 *   node scripts/gen-bounds-input.mjs features N  one run of N steps with a 64-row trajectory block each
 * Then: /usr/bin/time -v node dist/cli.js scan FILE [--features] > /dev/null
 */
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { mersenne } from "pure-rand/generator/mersenne";

const [mode, count] = [process.argv[2], Number(process.argv[3])];
if (!["runs", "features"].includes(mode) || !(count > 0)) {
  console.error("usage: gen-bounds-input.mjs runs|features N");
  process.exit(2);
}
const out = [];
const flush = (force) => {
  if (out.length >= 4096 || (force && out.length)) {
    process.stdout.write(out.join(""));
    out.length = 0;
  }
};
// The project's seeded stream (bench/random.ts uses the same), so inputs are the same on every run.
const rng = mersenne(1);
const rand = () => uniformFloat64(rng);
if (mode === "runs") {
  for (let i = 0; i < count; i++) {
    const metrics = { reward_mean: rand(), kl_ref: rand() / 100, entropy: 0.8 + rand() / 10, grad_norm: rand() };
    out.push(`${JSON.stringify({ kind: "step", run: `run-${i}`, step: 1, metrics })}\n`);
    flush(false);
  }
} else {
  const rows = 64;
  for (let step = 1; step <= count; step++) {
    const metrics = { reward_mean: rand(), kl_ref: rand() / 100, entropy: 0.8 + rand() / 10 };
    out.push(`${JSON.stringify({ kind: "step", run: "r", step, metrics })}\n`);
    const group = Array.from({ length: rows }, (_, i) => i >> 3);
    const reward = Array.from({ length: rows }, () => Math.round(rand() * 1000) / 1000);
    const response_length = Array.from({ length: rows }, () => Math.round(200 + rand() * 100));
    out.push(
      `${JSON.stringify({ kind: "trajectories", run: "r", step, columns: { group, reward, response_length } })}\n`,
    );
    flush(false);
  }
}
flush(true);
