/**
 * Fuzz targets for the Monitor's two decoders of untrusted data: the step input a
 * trainer hands `observe`/`observeBatch` (never throws: one verdict per input), and
 * the snapshot `Monitor.restore` reads (refuses with an Error, or restores a monitor
 * whose `observe` still never throws). Cases that failed are kept as JSON under
 * test/fixtures/fuzz/monitor-input/ and test/fixtures/fuzz/monitor-snapshot/.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { preferenceFromEnv, selectKernels } from "../../src/backend/load.js";
import { Monitor, type MonitorSnapshot } from "../../src/monitor/monitor.js";
import { snapshotChecksum } from "../../src/monitor/snapshot.js";
import type { StepInput } from "../../src/verdict/input.js";
import type { Verdict } from "../../src/verdict/types.js";
import { fixtures, fuzz, testTimeout } from "./budget.js";

const kernels = selectKernels({ prefer: preferenceFromEnv() });
const quiet = { kernels, onError: () => {} };

/** Values where numbers, names and arrays are expected. */
const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 1e308, -1e308, Number.NaN, Infinity, 0.5),
  fc.string({ maxLength: 8 }),
  fc.constantFrom(null, undefined, true, false, "", "0.5", "__proto__"),
  fc.array(fc.double(), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.double(), { maxKeys: 3 }),
);
const columnNames = fc.constantFrom("reward", "advantage", "length", "correct", "entropy", "group", "x", "");
const FIELDS = ["run", "step", "metrics", "trajectories", "events"] as const;

/** A step input as data (so that a kept case is JSON), `throwing` naming the fields read through a throwing getter. */
const inputSpec = fc.record(
  {
    run: fc.oneof(fc.constantFrom("a", "b", "c"), value),
    step: fc.oneof(fc.nat({ max: 50 }), value),
    metrics: fc.oneof(
      fc.dictionary(fc.constantFrom("reward_mean", "kl_ref", "entropy", "loss", "x"), value, { maxKeys: 4 }),
      value,
    ),
    trajectories: fc.oneof(
      fc.dictionary(
        columnNames,
        fc.oneof(fc.array(value, { maxLength: 6 }), fc.array(fc.double(), { maxLength: 6 }), value),
        {
          maxKeys: 4,
        },
      ),
      value,
    ),
    events: fc.oneof(
      fc.array(fc.record({ name: fc.constantFrom("checkpoint", "action_applied", "x"), step: value }), {
        maxLength: 3,
      }),
      value,
    ),
    throwing: fc.subarray([...FIELDS], { maxLength: 2 }),
  },
  { requiredKeys: ["throwing"] },
);

/** A spec that is not an object (a batch of numbers) is handed over as it is: a hostile input too. */
function build(spec: unknown): StepInput {
  if (spec === null || typeof spec !== "object") return spec as StepInput;
  const input: Record<string, unknown> = {};
  const fields = spec as Record<string, unknown>;
  for (const field of FIELDS) if (field in fields) input[field] = fields[field];
  for (const field of Array.isArray(fields.throwing) ? (fields.throwing as string[]) : []) {
    Object.defineProperty(input, field, {
      get() {
        throw new Error(`getter ${field}`);
      },
    });
  }
  return input as unknown as StepInput;
}

/** A batch: an array of inputs, or something that is not an array at all. */
const batchSpec = fc.oneof(
  { weight: 5, arbitrary: fc.array(inputSpec, { minLength: 1, maxLength: 6 }) },
  { weight: 1, arbitrary: value },
);

function isVerdict(v: Verdict): void {
  expect(typeof v.run).toBe("string");
  expect(typeof v.anomalous).toBe("boolean");
  expect(Array.isArray(v.anomalies) && Array.isArray(v.diagnosis) && Array.isArray(v.actions)).toBe(true);
}

const live = new Monitor(quiet);
afterAll(() => live.close());

function observeAll(batch: unknown): void {
  if (Array.isArray(batch)) {
    const inputs = batch.map((spec) => build(spec));
    for (const input of inputs.slice(0, 2)) isVerdict(live.observe(input));
    const out = live.observeBatch(inputs);
    expect(out).toHaveLength(inputs.length);
    out.forEach(isVerdict);
  } else {
    const out = live.observeBatch(batch as StepInput[]);
    expect(out.length).toBeGreaterThan(0);
    out.forEach(isVerdict);
  }
}

/** JSON that keeps undefined and the non-finite numbers, for kept cases. */
function toJson(v: unknown): string {
  return JSON.stringify(v, (_, x) =>
    x === undefined ? { $: "undefined" } : typeof x === "number" && !Number.isFinite(x) ? { $: String(x) } : x,
  );
}
function fromJson(text: string): unknown {
  return JSON.parse(text, (_, x) =>
    x && typeof x === "object" && !Array.isArray(x) && Object.keys(x).length === 1 && "$" in x
      ? x.$ === "undefined"
        ? undefined
        : Number(x.$)
      : x,
  );
}

describe("fuzz: the Monitor's step input", () => {
  it("never throws, whatever a trainer hands observe and observeBatch", { timeout: testTimeout }, async () => {
    await fuzz("monitor-input", batchSpec, observeAll, toJson);
  });

  it.each(fixtures("monitor-input").map(([f, b]) => [f, b] as const))("replays the kept case %s", (_, bytes) => {
    observeAll(fromJson(bytes.toString("utf8")));
  });
});

/** A snapshot with state in it: runs with history, an alarm, checkpoints, a policy. */
function baseSnapshot(): MonitorSnapshot {
  const m = new Monitor({ ...quiet, maxRuns: 4 });
  for (let step = 0; step < 30; step++) {
    for (const run of ["a", "b"]) {
      const reward = run === "b" && step > 20 ? 5 : 0.5 + 0.01 * Math.sin(step);
      m.observe({
        run,
        step,
        metrics: { reward_mean: reward, entropy: 0.8, kl_ref: 0.01 },
        trajectories: { reward: [reward, reward + 0.1, 0, 1], length: [10, 20, 30, 40] },
        events: step % 10 === 0 ? [{ name: "checkpoint", step }] : [],
      });
    }
  }
  const snapshot = JSON.parse(JSON.stringify(m.snapshot())) as MonitorSnapshot;
  m.close();
  return snapshot;
}
const base = baseSnapshot();

/** `reseal`: give the edited snapshot a valid checksum, so the field checks behind the checksum are fuzzed too. */
type Edit =
  | { path: (string | number)[]; value: unknown }
  | { flip: number }
  | { drop: (string | number)[] }
  | { reseal: true };

/** The paths into the snapshot's JSON, to edit. */
function paths(
  node: unknown,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(prefix);
  if (node && typeof node === "object" && prefix.length < 8) {
    for (const [k, v] of Object.entries(node)) paths(v, [...prefix, Array.isArray(node) ? Number(k) : k], out);
  }
  return out;
}
const allPaths = paths(base).filter((p) => p.length > 0);

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ path: fc.constantFrom(...allPaths), value }),
  fc.record({ flip: fc.nat() }),
  fc.record({ drop: fc.constantFrom(...allPaths) }),
  fc.constant({ reseal: true as const }),
);
const edits = fc.array(edit, { minLength: 1, maxLength: 4 });

function applyEdits(list: Edit[]): unknown {
  const snapshot = structuredClone(base) as unknown as Record<string, unknown>;
  for (const e of list) {
    if ("reseal" in e) {
      snapshot.checksum = snapshotChecksum(snapshot);
      continue;
    }
    if ("flip" in e) {
      // One bit of the detector bank's bytes.
      const bytes = Buffer.from(String(snapshot.bank ?? ""), "base64");
      if (bytes.length > 0) {
        bytes[e.flip % bytes.length] ^= 1 << (e.flip % 8);
        snapshot.bank = bytes.toString("base64");
      }
      continue;
    }
    const path = "path" in e ? e.path : e.drop;
    let node: Record<string | number, unknown> | undefined = snapshot;
    for (const key of path.slice(0, -1)) {
      const next: unknown = node?.[key];
      node = next && typeof next === "object" ? (next as Record<string | number, unknown>) : undefined;
    }
    if (!node) continue;
    const last = path[path.length - 1];
    if ("path" in e) node[last] = e.value;
    else delete node[last];
  }
  return snapshot;
}

function restoreEdited(list: Edit[]): void {
  let restored: Monitor | undefined;
  try {
    restored = Monitor.restore(applyEdits(list) as MonitorSnapshot, quiet);
  } catch (error) {
    // Refusing a damaged snapshot is right; refusing it with something that is not an Error is not.
    expect(error).toBeInstanceOf(Error);
    return;
  }
  try {
    for (let step = 30; step < 34; step++) {
      for (const run of ["a", "b", "new"]) {
        isVerdict(restored.observe({ run, step, metrics: { reward_mean: 0.5 }, trajectories: { reward: [0, 1] } }));
      }
    }
    restored.snapshot();
  } finally {
    restored.close();
  }
}

describe("fuzz: the Monitor's snapshot decoder", () => {
  it("refuses a damaged snapshot with an Error, or restores one whose observe never throws", {
    timeout: testTimeout,
  }, async () => {
    await fuzz("monitor-snapshot", edits, restoreEdited, toJson);
  });

  it.each(fixtures("monitor-snapshot").map(([f, b]) => [f, b] as const))("replays the kept case %s", (_, bytes) => {
    restoreEdited(fromJson(bytes.toString("utf8")) as Edit[]);
  });
});
