/**
 * The Monitor's snapshot on the wire: its format tag, its checksum and the
 * schema every field of a snapshot read back is checked against.
 *
 * A snapshot travels through files, checkpoints and other tools, and a restored
 * monitor acts on a trainer: one flipped bit or a hand-edited field must not
 * restore into a monitor that quietly decides differently (issue 13, item 6).
 * So a snapshot carries a SHA-256 of its canonical encoding (RFC 8785 style:
 * keys sorted, numbers as JSON writes them, so re-serialising the JSON with
 * another key order or spacing keeps it valid), and `Monitor.restore` refuses
 * one whose checksum is missing or does not match, then checks every field
 * (types, ranges, per-signal lengths, the bank keys against `nextKey`) before
 * anything is built from it. The policy's part is checked by the policy
 * (src/remediation/state.ts), the bank's bytes by the kernels.
 */
import { createHash } from "node:crypto";
import * as v from "valibot";
import { FAULT_FAMILIES, FAULT_IDS } from "../verdict/faults.js";
import { ACTION_KINDS } from "../verdict/types.js";
import { MAX_CHECKPOINTS } from "./clock.js";

export const SNAPSHOT_FORMAT = "rftfm-monitor";
/**
 * 2: with a checksum and checked field by field. Version 1 (no checksum) is
 * refused: nothing in it can be told apart from a damaged one.
 */
export const SNAPSHOT_VERSION = 2;

/** The largest step the monitor takes (2^48): clock values (step + rewind offset) stay exact integers. */
export const MAX_STEP = 2 ** 48;

export interface MonitorSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: typeof SNAPSHOT_VERSION;
  /** `sha256:` and the hex SHA-256 of the canonical encoding of every other field (`sealSnapshot`). */
  checksum: string;
  /** The fingerprint set's signals, to refuse restoring with another set. */
  signals: string[];
  bank: string;
  nextKey: number;
  runs: [string, unknown][];
  policy: unknown;
  /** Runs with a policy of their own (`policyFor`), and its state (null: no policy for the run). */
  runPolicies: [string, unknown][];
}

/**
 * JSON with object keys sorted (by UTF-16 code units, as RFC 8785 does; an
 * integer-like key, which no snapshot has, would come first as JavaScript
 * orders it) and no spacing; `undefined` fields are left out and array holes
 * are null, as JSON.stringify does, so a snapshot and its JSON round trip
 * encode alike. Built as a key-sorted copy of the objects (arrays of plain
 * values, most of a snapshot, are shared) written by JSON.stringify: a few
 * times faster than writing the text by hand.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedKeys(value)) ?? "null";
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.every(isPlain) ? value : value.map(sortedKeys);
  if (value === null || typeof value !== "object") return value;
  const o = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) {
    // defineProperty: a key named __proto__ stays a plain key.
    Object.defineProperty(out, k, { value: sortedKeys(o[k]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A value JSON.stringify writes the one way wherever it is (not an object, not undefined, not a function). */
const isPlain = (x: unknown): boolean =>
  x === null || typeof x === "number" || typeof x === "string" || typeof x === "boolean";

/** The checksum of a snapshot's fields other than `checksum`. */
export function snapshotChecksum(snapshot: object): string {
  const { checksum: _, ...body } = snapshot as Record<string, unknown>;
  return `sha256:${createHash("sha256").update(canonicalJson(body)).digest("hex")}`;
}

/** The snapshot with its checksum. */
export function sealSnapshot(body: Omit<MonitorSnapshot, "checksum">): MonitorSnapshot {
  return { ...body, checksum: snapshotChecksum(body) };
}

// ---- the schema -------------------------------------------------------------------------------

const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const stepNo = v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(MAX_STEP));
const finite = v.pipe(v.number(), v.finite());
/** A number as `encodeNumbers` writes it: finite, or NaN/Infinity spelled out (JSON cannot hold them). */
const isEncoded = (x: unknown) =>
  typeof x === "number" ? Number.isFinite(x) : x === "NaN" || x === "Infinity" || x === "-Infinity";
/**
 * An array of exactly `n` values each passing `test`. One check over the array,
 * not a schema per element: a snapshot holds hundreds of thousands of them,
 * and per-element validation made a restore several times slower. The error
 * names the array (and says what a value must be), not the index.
 */
const perSignal = <T>(test: (x: unknown) => boolean, n: number, what: string) =>
  v.custom<T[]>((x) => Array.isArray(x) && x.length === n && x.every(test), `expected ${n} values, each ${what}`);
const encoded = (n: number) =>
  perSignal<number | string>(isEncoded, n, 'a finite number or "NaN", "Infinity", "-Infinity"');
const isCount = (x: unknown) => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;

const action = v.variant("kind", [
  v.strictObject({ kind: v.literal("rollback"), to_step: stepNo }),
  v.strictObject({ kind: v.literal("scale_lr"), factor: finite }),
  v.strictObject({ kind: v.literal("set_hparam"), name: v.string(), value: finite }),
  v.strictObject({ kind: v.literal("filter_groups"), mode: v.string() }),
  v.strictObject({ kind: v.literal("skip_batch") }),
  v.strictObject({ kind: v.literal("resync_weights") }),
  v.strictObject({ kind: v.literal("restart_workers") }),
  v.strictObject({ kind: v.literal("quarantine_prompts"), prompt_ids: v.array(v.pipe(v.number(), v.safeInteger())) }),
  v.strictObject({ kind: v.literal("halt"), reason: v.string() }),
  v.strictObject({ kind: v.literal("alert"), message: v.string() }),
]);
// Every action kind has its schema (a kind added to ACTION_KINDS without one fails here, at load).
for (const kind of ACTION_KINDS)
  if (!action.options.some((o) => o.entries.kind.literal === kind)) throw new Error(`snapshot schema: no ${kind}`);

const diagnosis = v.strictObject({
  fault: v.picklist(FAULT_IDS),
  family: v.picklist([...new Set(Object.values(FAULT_FAMILIES))]),
  confidence: finite,
  evidence: v.array(v.string()),
  onset: v.optional(finite),
});

/** What `encodeDetectState` writes (the trend bytes' length is checked by `decodeDetectState`). */
const detectState = v.strictObject({
  trend: v.pipe(v.string(), v.base64()),
  broken: v.record(v.string(), count),
  held: v.record(v.string(), finite),
  nonfinite: count,
});

/** What `encodeRunState` writes for a monitor of `n` signals keeping `history` steps. */
function runStateSchema(n: number, history: number, window: number) {
  const signalIndex = v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(n - 1));
  return v.strictObject({
    key: v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(2 ** 32 - 1)),
    observed: count,
    streak: count,
    priorSums: perSignal<number>(
      (x) => typeof x === "number" && Number.isFinite(x) && x >= 0,
      n,
      "a finite number >= 0",
    ),
    reported: perSignal<boolean>((x) => typeof x === "boolean", n, "true or false"),
    history: v.pipe(v.array(v.strictObject({ step: stepNo, values: encoded(n), z: encoded(n) })), v.maxLength(history)),
    episode: v.nullable(
      v.strictObject({
        alarmStep: stepNo,
        sums: encoded(n),
        counts: perSignal<number>(isCount, n, "a whole number >= 0"),
        steps: v.pipe(count, v.maxValue(window)),
        signals: v.pipe(
          v.array(signalIndex),
          v.check((xs) => new Set(xs).size === xs.length, "a signal is named twice"),
        ),
        refLevel: encoded(n),
        refScale: encoded(n),
        quiet: count,
        began: v.optional(stepNo),
        diagnosis: v.array(diagnosis),
      }),
    ),
    firstAlarm: v.nullable(stepNo),
    diagnosis: v.array(diagnosis),
    firstVector: v.nullable(encoded(n)),
    actions: v.array(action),
    clock: v.strictObject({
      offset: count,
      last: v.pipe(v.number(), v.safeInteger(), v.minValue(-1)),
      checkpoints: v.pipe(v.array(v.strictObject({ step: stepNo, clock: count })), v.maxLength(MAX_CHECKPOINTS)),
    }),
    detect: detectState,
  });
}

/** The whole snapshot for a monitor of `n` signals; `history`: steps of history a run keeps at most. */
function snapshotSchema(n: number, history: number, window: number) {
  const run = runStateSchema(n, history, window);
  return v.pipe(
    v.strictObject({
      format: v.literal(SNAPSHOT_FORMAT),
      version: v.literal(SNAPSHOT_VERSION),
      checksum: v.string(),
      signals: perSignal<string>((x) => typeof x === "string", n, "a signal name"),
      bank: v.pipe(v.string(), v.nonEmpty(), v.base64()),
      nextKey: count,
      runs: v.pipe(
        v.array(v.tuple([v.pipe(v.string(), v.nonEmpty()), run])),
        v.check((runs) => new Set(runs.map(([name]) => name)).size === runs.length, "a run is listed twice"),
        v.check((runs) => new Set(runs.map(([, s]) => s.key)).size === runs.length, "two runs share a bank key"),
      ),
      // Checked field by field by RemediationPolicy.restore (src/remediation/state.ts).
      policy: v.unknown(),
      runPolicies: v.pipe(
        v.array(v.tuple([v.pipe(v.string(), v.nonEmpty()), v.unknown()])),
        v.check((runs) => new Set(runs.map(([name]) => name)).size === runs.length, "a run is listed twice"),
      ),
    }),
    // A new run takes key `nextKey`: a run already holding it (or a later one) would share its detectors.
    v.check(
      (s) => s.runs.every(([, state]) => state.key < s.nextKey),
      "nextKey is not above every run's bank key (new runs would share detector state)",
    ),
  );
}

export type CheckedSnapshot = v.InferOutput<ReturnType<typeof snapshotSchema>>;

/** Where an issue is, as a reader writes it: `runs[0][1].clock.last`. */
function issuePath(issue: v.BaseIssue<unknown>): string {
  let out = "";
  for (const item of issue.path ?? []) {
    const key = (item as { key: unknown }).key;
    out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

export interface SnapshotShape {
  /** The fingerprint set's signals, which the snapshot must have been taken with. */
  signals: readonly string[];
  /** Steps of history a run keeps at most (window + the steps before an alarm). */
  history: number;
  /** The averaging window: an episode averages at most that many steps. */
  window: number;
}

/**
 * The snapshot, checked: its format and version, its checksum, then every
 * field. Throws an Error saying what is wrong and where (`Monitor.restore: ...`).
 */
export function checkMonitorSnapshot(raw: object, shape: SnapshotShape): CheckedSnapshot {
  const fail = (what: string): never => {
    throw new Error(`Monitor.restore: ${what}`);
  };
  const s = raw as Record<string, unknown>;
  if (s.format !== SNAPSHOT_FORMAT) fail(`not a monitor snapshot (format ${String(s.format)})`);
  if (s.version === 1) {
    fail(
      "a version 1 snapshot (written before snapshots carried a checksum) is refused: its integrity cannot be " +
        "checked. Restore it with the rftfm release that wrote it, or start a new monitor",
    );
  }
  if (s.version !== SNAPSHOT_VERSION)
    fail(`not a monitor snapshot this release reads (version ${String(s.version)}; it reads ${SNAPSHOT_VERSION})`);
  if (typeof s.checksum !== "string" || !/^sha256:[0-9a-f]{64}$/.test(s.checksum))
    fail("the snapshot has no checksum (sha256:<64 hex digits>): refused");
  if (s.checksum !== snapshotChecksum(s))
    fail("checksum mismatch: the snapshot was changed or damaged after it was taken; refused");
  if (!Array.isArray(s.signals) || s.signals.join("\n") !== shape.signals.join("\n"))
    fail("the snapshot was taken with another fingerprint set (its signals differ)");
  const parsed = v.safeParse(snapshotSchema(shape.signals.length, shape.history, shape.window), s);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const at = issuePath(issue);
    fail(`bad snapshot${at ? ` at ${at}` : ""}: ${issue.message}`);
  }
  return parsed.output as CheckedSnapshot;
}
