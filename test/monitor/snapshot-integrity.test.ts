/**
 * Issue 13, item 6: a snapshot is checked before it is restored. A changed
 * byte (a flipped bit, a hand edit) fails its checksum; a snapshot whose
 * checksum was made to fit (resealed) is still checked field by field, so a
 * corrupt `nextKey` or `clock: null` is refused at restore, naming the field,
 * instead of sharing detector state between runs or failing every later step.
 * Runs on the backend RFTFM_BACKEND selects (both are run in CI).
 */
import { describe, expect, it } from "vitest";
import { preferenceFromEnv, selectKernels } from "../../src/backend/load.js";
import { Monitor, type MonitorSnapshot } from "../../src/monitor/monitor.js";
import { canonicalJson, sealSnapshot } from "../../src/monitor/snapshot.js";
import type { StepInput } from "../../src/verdict/input.js";

const kernels = selectKernels({ prefer: preferenceFromEnv() });
const quiet = { kernels, onError: () => {} };

/** Two runs, one of which alarms from step 22 (non-finite gradients: an episode, a diagnosis, policy actions), with checkpoints. */
function inputs(from: number, to: number): StepInput[] {
  const out: StepInput[] = [];
  for (let step = from; step < to; step++) {
    for (const run of ["a", "b"]) {
      const reward = 0.5 + 0.01 * Math.sin(step);
      const gradNorm = run === "b" && step > 20 ? Number.NaN : 1 + 0.01 * Math.sin(3 * step);
      out.push({
        run,
        step,
        metrics: { reward_mean: reward, entropy: 0.8 + 0.01 * Math.cos(step), kl_ref: 0.01, grad_norm: gradNorm },
        trajectories: { reward: [reward, reward + 0.1, 0, 1], length: [10, 20, 30, 40] },
        events: step % 10 === 0 ? [{ name: "checkpoint", step }] : [],
      });
    }
  }
  return out;
}

function taken(): { snapshot: MonitorSnapshot; later: ReturnType<Monitor["observe"]>[] } {
  const m = new Monitor(quiet);
  for (const input of inputs(0, 30)) m.observe(input);
  const snapshot = JSON.parse(JSON.stringify(m.snapshot())) as MonitorSnapshot;
  const later = inputs(30, 45).map((input) => m.observe(input));
  m.close();
  return { snapshot, later };
}
const { snapshot: base, later } = taken();

/** A copy of the snapshot with the value at `path` replaced (the path must exist). */
function edited(path: (string | number)[], value: unknown, snapshot: MonitorSnapshot = base): MonitorSnapshot {
  const copy = structuredClone(snapshot) as unknown as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) {
    node = node[key] as Record<string | number, unknown>;
    if (node === null || typeof node !== "object") throw new Error(`no ${path.join(".")} in the snapshot`);
  }
  if (!(path[path.length - 1] in node)) throw new Error(`no ${path.join(".")} in the snapshot`);
  node[path[path.length - 1]] = value;
  return copy as unknown as MonitorSnapshot;
}

/** The edit with a checksum that fits it: what a careless tool or a deliberate edit would write. */
const resealed = (path: (string | number)[], value: unknown) => {
  const { checksum: _, ...body } = edited(path, value);
  return sealSnapshot(body);
};

const runState = (i: number) => base.runs[i][1] as Record<string, unknown>;

describe("snapshot integrity (issue 13, item 6)", () => {
  it("the base snapshot restores and continues exactly (control)", () => {
    expect(runState(1).episode).not.toBeNull();
    expect(runState(1).actions).not.toEqual([]);
    const m = Monitor.restore(structuredClone(base), quiet);
    expect(inputs(30, 45).map((input) => m.observe(input))).toEqual(later);
    m.close();
  });

  it("refuses a snapshot with one bit of its detector bank flipped, which the bank's own check lets through", () => {
    const bytes = Buffer.from(base.bank, "base64");
    let flipped: MonitorSnapshot | undefined;
    // The first bit from the middle of the bank whose flip the kernels accept: a changed number, not a broken header.
    for (let bit = (bytes.length >> 1) * 8; bit < bytes.length * 8 && !flipped; bit += 61) {
      const copy = Buffer.from(bytes);
      copy[bit >> 3] ^= 1 << (bit & 7);
      try {
        kernels.detectors.restoreBank(copy).free();
      } catch {
        continue;
      }
      flipped = edited(["bank"], copy.toString("base64"));
    }
    expect(flipped).toBeDefined();
    expect(() => Monitor.restore(flipped!, quiet)).toThrow(/Monitor\.restore: checksum mismatch/);
  });

  it("refuses a snapshot whose run history was edited by the smallest step of one value", () => {
    const history = runState(0).history as { values: (number | string)[] }[];
    const s = history.findIndex((h) => h.values.some((x) => typeof x === "number" && x !== 0));
    const i = history[s].values.findIndex((x) => typeof x === "number" && x !== 0);
    const x = history[s].values[i] as number;
    const next = x * (1 + Number.EPSILON);
    expect(next).not.toBe(x);
    expect(() => Monitor.restore(edited(["runs", 0, 1, "history", s, "values", i], next), quiet)).toThrow(
      /checksum mismatch/,
    );
  });

  it.each([
    ["missing", undefined],
    ["not a digest", "sha256:abc"],
    ["of another algorithm", `md5:${"0".repeat(32)}`],
  ])("refuses a snapshot whose checksum is %s", (_, checksum) => {
    const s = edited(["checksum"], checksum);
    expect(() => Monitor.restore(s, quiet)).toThrow(/Monitor\.restore: the snapshot has no checksum/);
  });

  it("refuses a version 1 snapshot (no checksum), saying why and what to do", () => {
    const { checksum: _, ...old } = { ...base, version: 1 };
    expect(() => Monitor.restore(old as unknown as MonitorSnapshot, quiet)).toThrow(
      /version 1 snapshot \(written before snapshots carried a checksum\) is refused.*start a new monitor/,
    );
  });

  it("accepts the same snapshot re-serialised with other key order and spacing (the checksum is over a canonical form)", () => {
    const reordered = JSON.parse(JSON.stringify(JSON.parse(canonicalJson(base)), null, 2)) as MonitorSnapshot;
    expect(Object.keys(reordered)).not.toEqual(Object.keys(base));
    const m = Monitor.restore(reordered, quiet);
    expect(inputs(30, 45).map((input) => m.observe(input))).toEqual(later);
    m.close();
  });

  it("refuses a resealed nextKey at or below a run's bank key, which would make a new run share its detectors", () => {
    const keys = base.runs.map(([, s]) => (s as { key: number }).key);
    for (const nextKey of [0, Math.max(...keys)]) {
      expect(() => Monitor.restore(resealed(["nextKey"], nextKey), quiet)).toThrow(
        /Monitor\.restore: bad snapshot.*nextKey is not above every run's bank key/,
      );
    }
  });

  const n = base.signals.length;
  it.each<[string, (string | number)[], unknown, RegExp]>([
    ["clock: null", ["runs", 0, 1, "clock"], null, /at runs\[0\]\[1\]\.clock: /],
    ["clock.last fractional", ["runs", 0, 1, "clock", "last"], 2.5, /at runs\[0\]\[1\]\.clock\.last: /],
    [
      "a checkpoint at step -5",
      ["runs", 0, 1, "clock", "checkpoints", 0, "step"],
      -5,
      /at runs\[0\]\[1\]\.clock\.checkpoints\[0\]\.step: /,
    ],
    ["nextKey a string", ["nextKey"], "2", /at nextKey: /],
    ["observed negative", ["runs", 1, 1, "observed"], -1, /at runs\[1\]\[1\]\.observed: /],
    ["reported one short", ["runs", 0, 1, "reported"], new Array(n - 1).fill(true), /at runs\[0\]\[1\]\.reported: /],
    [
      "a history value not a number",
      ["runs", 0, 1, "history", 0, "values", 0],
      "abc",
      /at runs\[0\]\[1\]\.history\[0\]\.values: expected \d+ values, each a finite number/,
    ],
    ["priorSums with null (a NaN through JSON)", ["runs", 0, 1, "priorSums", 0], null, /priorSums: /],
    ["episode steps beyond the window", ["runs", 1, 1, "episode", "steps"], 1e6, /episode\.steps: /],
    ["episode signal out of range", ["runs", 1, 1, "episode", "signals"], [n], /episode\.signals\[0\]: /],
    [
      "an unknown fault",
      ["runs", 1, 1, "diagnosis"],
      [{ fault: "x", family: "y", confidence: 1, evidence: [] }],
      /diagnosis\[0\]\.fault: /,
    ],
    ["an unknown action", ["runs", 1, 1, "actions"], [{ kind: "format_disk" }], /actions\[0\]\.kind: /],
    ["detect trend not base64", ["runs", 0, 1, "detect", "trend"], "!!", /detect\.trend: /],
    ["an empty run name", ["runs", 0, 0], "", /at runs\[0\]\[0\]: /],
    ["the bank not a string", ["bank"], 7, /at bank: /],
    ["runs not an array", ["runs"], {}, /at runs: /],
  ])("refuses a resealed snapshot with %s, naming the field", (_, path, value, where) => {
    expect(() => Monitor.restore(resealed(path, value), quiet)).toThrow(where);
    expect(() => Monitor.restore(resealed(path, value), quiet)).toThrow(/^Monitor\.restore: bad snapshot at /);
  });

  it("refuses two runs sharing a bank key, a run listed twice and an unknown field", () => {
    const key = (base.runs[0][1] as { key: number }).key;
    expect(() => Monitor.restore(resealed(["runs", 1, 1, "key"], key), quiet)).toThrow(/two runs share a bank key/);
    expect(() => Monitor.restore(resealed(["runs", 1, 0], base.runs[0][0]), quiet)).toThrow(/a run is listed twice/);
    const extra = (() => {
      const { checksum: _, ...body } = structuredClone(base);
      (body.runs[0][1] as Record<string, unknown>).extra = 1;
      return sealSnapshot(body);
    })();
    expect(() => Monitor.restore(extra, quiet)).toThrow(/runs\[0\]\[1\]\.extra: /);
  });
});
