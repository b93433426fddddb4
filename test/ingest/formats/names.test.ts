import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DOC, namesBlock } from "../../../scripts/gen-formats-doc.js";
import { CANONICAL_METRICS, CANONICAL_TRAJECTORY_COLUMNS } from "../../../src/index.js";
import { COLUMN_ALIASES, canonicalColumns, canonicalMetrics, METRIC_ALIASES } from "../../../src/ingest/parse/names.js";

describe("the name table", () => {
  it("maps foreign names onto canonical ones and keeps every other name as it is", () => {
    expect(canonicalMetrics({ "actor/entropy": 0.5, "critic/score/mean": 0.25, "perf/throughput": 900 })).toEqual({
      entropy: 0.5,
      reward_mean: 0.25,
      "perf/throughput": 900,
    });
  });

  it("prefers the canonical name, then the first alias of the table; the others stay under their own names", () => {
    expect(canonicalMetrics({ "critic/rewards/mean": 2, "critic/score/mean": 1 })).toEqual({
      reward_mean: 1,
      "critic/rewards/mean": 2,
    });
    expect(canonicalMetrics({ learning_rate: 1, lr: 2 })).toEqual({ lr: 2, learning_rate: 1 });
  });

  it("ignores the train/ prefix of wandb exports when looking up, and keeps it on unmapped names", () => {
    expect(canonicalMetrics({ "train/reward": 0.5, "train/return": 0.4, "eval/reward": 0.3 })).toEqual({
      reward_mean: 0.5,
      "train/return": 0.4,
      "eval/reward": 0.3,
    });
    // An unprefixed name wins a tie with its prefixed twin, which keeps its own name.
    expect(canonicalMetrics({ "train/kl": 1, kl: 2 })).toEqual({ kl_ref: 2, "train/kl": 1 });
  });

  it("keeps a key named __proto__ as a plain key", () => {
    const out = canonicalMetrics(JSON.parse('{"__proto__": 1, "kl": 2}'));
    expect(Object.keys(out)).toEqual(["kl_ref", "__proto__"]);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it("maps trajectory columns without the prefix rule", () => {
    expect(canonicalColumns({ score: [1], acc: [0], "train/score": [2] })).toEqual({
      reward: [1],
      correct: [0],
      "train/score": [2],
    });
  });

  it("only targets canonical names, and gives each foreign name one meaning", () => {
    for (const alias of METRIC_ALIASES) expect(CANONICAL_METRICS).toContain(alias.canonical);
    for (const alias of COLUMN_ALIASES) expect(CANONICAL_TRAJECTORY_COLUMNS).toContain(alias.canonical);
    const foreign = METRIC_ALIASES.map((a) => a.foreign);
    expect(new Set(foreign).size).toBe(foreign.length);
  });

  it("is the table docs/formats.md shows (npm run docs:formats writes it)", () => {
    expect(readFileSync(DOC, "utf8")).toContain(namesBlock());
  });
});
