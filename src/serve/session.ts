/**
 * The sidecar's one job per line: a request object in, at most one reply
 * object out (docs/serve.md gives the protocol). It holds the Monitor for
 * every run the server sees, the per-run policies clients asked for, the
 * trajectories and events sent ahead of their step, and the counters /metrics
 * shows. Transports (stdio, a Unix socket, HTTP) only move lines.
 *
 * Requests are telemetry records (telemetry.md) plus a few control kinds:
 * - `step` judges the step at once and replies with its verdict (kind
 *   `verdict`); it may carry the step's `trajectories` (columns) and `events`
 *   inline. `trajectories`, `trajectory` and `event` records sent before it are
 *   held for it and get no reply (a problem with them shows in the verdict's
 *   `errors`).
 * - `configure` sets a run's policy (mode, allowed actions) before its first step.
 * - `summary` replies with the run's summary; `health` with the server's state.
 * A request's `id`, when it has one, is copied into its reply so a client can
 * drop a late reply to a request it gave up on.
 *
 * Nothing here throws into a transport: a bad line is answered with an error
 * reply (kind `error`) and counted.
 */
import * as v from "valibot";
import { Monitor, type MonitorOptions, type MonitorSnapshot } from "../monitor/monitor.js";
import type { PolicyOptions } from "../remediation/options.js";
import { decodeValue, describeValue } from "../telemetry/decode.js";
import type { EventRecord } from "../telemetry/records.js";
import { isProblem } from "../telemetry/records.js";
import type { StepInput } from "../verdict/input.js";
import { ACTION_KINDS, type ActionKind, type RunSummary, type Verdict } from "../verdict/types.js";
import { LatencyWindow } from "./latency.js";

/** A reply, JSON-safe once non-finite numbers are written as telemetry.md spells them. */
export type Reply = Record<string, unknown>;

/** What a run's client may set with `configure`. */
export interface RunPolicy {
  mode: "act" | "advise";
  allowed?: ActionKind[];
  /** The trainer's known-good hyperparameters (kl_coef, temperature, lr, ...), for `set_hparam` remedies. */
  reference?: Record<string, number>;
}

/** The whole state the server snapshots: the monitor and the policies its runs were given. */
export interface SessionSnapshot {
  format: "rftfm-serve";
  version: 1;
  monitor: MonitorSnapshot;
  policies: [string, RunPolicy][];
}

/**
 * The saved policies, checked as `configure` checks a client's: the monitor part
 * of a state file carries its own checksum, this part is what the server adds,
 * and a policy edited into `act` mode or an unknown action must not come back
 * unnoticed.
 */
const savedPolicies = v.array(
  v.strictTuple([
    v.string(),
    v.strictObject({
      mode: v.picklist(["act", "advise"]),
      allowed: v.optional(v.array(v.picklist(ACTION_KINDS))),
      reference: v.optional(v.record(v.string(), v.pipe(v.number(), v.finite()))),
    }),
  ]),
);

function restoredPolicies(raw: unknown): [string, RunPolicy][] {
  const checked = v.safeParse(savedPolicies, raw);
  if (checked.success) return checked.output;
  const issue = checked.issues[0];
  const where = v.getDotPath(issue) ?? "";
  throw new Error(`not a serve state: policies${where ? `.${where}` : ""}: ${issue.message}`);
}

export interface SessionOptions {
  /** Monitor options (fingerprints, prior, kernels, maxRuns); `policy` is the default for runs not configured. */
  monitor?: Omit<MonitorOptions, "policyFor">;
  /** Policy for a run no client configured (default: advise). */
  defaultPolicy?: RunPolicy;
  /** Called after a step's verdict, with the events that came with it (the supervisor and the snapshotter listen). */
  onVerdict?: (verdict: Verdict, events: readonly EventRecord[]) => void;
  /** Where internal problems are logged (default: stderr). */
  onError?: (message: string) => void;
  /** Most trajectory rows held for one pending step (default 1,048,576): more is refused, not queued. */
  maxPendingRows?: number;
}

/** A step's tensor and events sent ahead of it. */
interface Pending {
  step: number;
  columns: Map<string, number[]>;
  rows: number;
  events: EventRecord[];
  errors: string[];
}

const KNOWN_KINDS = ["step", "trajectories", "trajectory", "event", "configure", "summary", "health"].join(", ");

export class ServeSession {
  private monitor: Monitor;
  private readonly options: SessionOptions;
  private readonly policies = new Map<string, RunPolicy>();
  private readonly pending = new Map<string, Pending>();
  private readonly lastVerdict = new Map<string, { step: number; anomalous: boolean; actions: number }>();
  readonly latency = new LatencyWindow(4096);
  readonly counters = { requests: 0, verdicts: 0, badLines: 0, snapshots: 0 };
  readonly started = Date.now();
  private readonly maxPendingRows: number;

  constructor(options: SessionOptions = {}, restored?: SessionSnapshot) {
    this.options = options;
    this.maxPendingRows = options.maxPendingRows ?? 1 << 20;
    if (restored) {
      if (restored.format !== "rftfm-serve" || restored.version !== 1)
        throw new Error(`not a serve state (format ${String(restored.format)}, version ${String(restored.version)})`);
      for (const [run, policy] of restoredPolicies(restored.policies)) this.policies.set(run, policy);
      this.monitor = Monitor.restore(restored.monitor, this.monitorOptions());
    } else {
      this.monitor = new Monitor(this.monitorOptions());
    }
  }

  private monitorOptions(): MonitorOptions {
    const fallback = this.options.defaultPolicy ?? { mode: "advise" };
    return {
      ...this.options.monitor,
      policy: toPolicyOptions(fallback),
      onError: this.options.onError ?? ((m) => process.stderr.write(`rftfm serve: ${m}\n`)),
      // Asked once per run, at its first step: a run a client configured gets its own policy.
      policyFor: (run) => {
        const own = this.policies.get(run);
        return own ? toPolicyOptions(own) : undefined;
      },
    };
  }

  /** The state to write at a checkpoint or on SIGTERM. */
  snapshot(): SessionSnapshot {
    this.counters.snapshots++;
    return { format: "rftfm-serve", version: 1, monitor: this.monitor.snapshot(), policies: [...this.policies] };
  }

  /** Runs held now, least recently observed first, with their summaries and last verdicts (for /metrics). */
  runs(): { summary: RunSummary; last?: { step: number; anomalous: boolean; actions: number } }[] {
    return this.monitor.runIds.map((run) => ({
      summary: this.monitor.summary(run) as RunSummary,
      last: this.lastVerdict.get(run),
    }));
  }

  summary(run: string): RunSummary | undefined {
    return this.monitor.summary(run);
  }

  close(): void {
    this.monitor.close();
  }

  /** Handles one line of text; returns the reply, or undefined for a record held for its step. */
  handleLine(text: string): Reply | undefined {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.counters.badLines++;
      return { kind: "error", error: `not valid JSON: ${(err as Error).message}` };
    }
    return this.handle(value);
  }

  /** Handles one parsed request (the HTTP transport's path). Never throws. */
  handle(value: unknown): Reply | undefined {
    this.counters.requests++;
    const id = isObject(value) ? value.id : undefined;
    try {
      const reply = this.dispatch(value);
      if (reply && id !== undefined) reply.id = id;
      return reply;
    } catch (err) {
      this.counters.badLines++;
      return withId({ kind: "error", error: `internal error: ${(err as Error).message}` }, id);
    }
  }

  private dispatch(value: unknown): Reply | undefined {
    if (!isObject(value)) {
      this.counters.badLines++;
      return { kind: "error", error: `expected a JSON object, got ${describeValue(value)}` };
    }
    const kind = value.kind;
    if (kind === "configure") return this.configure(value);
    if (kind === "summary") {
      const run = typeof value.run === "string" ? value.run : "";
      const summary = this.monitor.summary(run);
      return summary
        ? { kind: "summary", ...summary }
        : { kind: "error", error: `run ${describeValue(value.run)}: not seen` };
    }
    if (kind === "health") return { kind: "health", ...this.health() };
    if (kind === "step") return this.step(value);
    // trajectories, trajectory, event: held for the run's next step record.
    if (kind !== "trajectories" && kind !== "trajectory" && kind !== "event") {
      this.counters.badLines++;
      return {
        kind: "error",
        error: `kind: expected one of ${KNOWN_KINDS}, got ${describeValue(kind)}`,
        field: "kind",
      };
    }
    const record = decodeValue(value, "request", this.counters.requests);
    if (isProblem(record)) {
      this.counters.badLines++;
      return { kind: "error", error: record.reason, ...(record.field ? { field: record.field } : {}) };
    }
    const held = this.pendingFor(record.run, record.step);
    if (record.kind === "event") held.events.push(record);
    else if (record.kind === "trajectories") this.addColumns(held, record.columns, record.rows);
    else if (record.kind === "trajectory") {
      const columns: Record<string, number[]> = {};
      for (const [name, v] of Object.entries(record.values)) columns[name] = [v];
      this.addColumns(held, columns, 1);
    }
    return undefined;
  }

  health(): Record<string, unknown> {
    return {
      ok: true,
      runs: this.monitor.runIds.length,
      uptime_s: (Date.now() - this.started) / 1000,
      ...this.counters,
      // The monitor's own time per step (the window /metrics reports), for clients measuring what they add.
      observe_p50_s: this.latency.quantile(0.5),
      observe_p99_s: this.latency.quantile(0.99),
    };
  }

  private configure(value: Record<string, unknown>): Reply {
    const run = value.run;
    if (typeof run !== "string" || run === "")
      return { kind: "error", error: `run: expected a non-empty string, got ${describeValue(run)}`, field: "run" };
    const mode = value.mode ?? "advise";
    if (mode !== "act" && mode !== "advise")
      return { kind: "error", error: `mode: expected "act" or "advise", got ${describeValue(mode)}`, field: "mode" };
    let allowed: ActionKind[] | undefined;
    if (value.allowed !== undefined && value.allowed !== null) {
      if (!Array.isArray(value.allowed))
        return { kind: "error", error: "allowed: expected an array of action kinds", field: "allowed" };
      const unknown = value.allowed.find((k) => !ACTION_KINDS.includes(k as ActionKind));
      if (unknown !== undefined)
        return {
          kind: "error",
          error: `allowed: unknown action kind ${describeValue(unknown)} (known: ${ACTION_KINDS.join(", ")})`,
          field: "allowed",
        };
      allowed = value.allowed as ActionKind[];
    }
    let reference: Record<string, number> | undefined;
    if (value.reference !== undefined && value.reference !== null) {
      const ref = value.reference;
      if (!isObject(ref) || Object.values(ref).some((v) => typeof v !== "number" || !Number.isFinite(v)))
        return { kind: "error", error: "reference: expected an object of finite numbers", field: "reference" };
      reference = ref as Record<string, number>;
    }
    const policy: RunPolicy = { mode, ...(allowed ? { allowed } : {}), ...(reference ? { reference } : {}) };
    const known = this.monitor.summary(run) !== undefined;
    const same = JSON.stringify(this.policies.get(run)) === JSON.stringify(policy);
    // The monitor asks for a run's policy once, at its first step: a change after that would not take.
    if (known && !same)
      return { kind: "error", error: `run ${run}: already observed; its policy is fixed at its first step` };
    this.policies.set(run, policy);
    return { kind: "configured", run, ...policy };
  }

  private step(value: Record<string, unknown>): Reply {
    // The inline parts are taken off before the step record is decoded, and decoded as their own records.
    const { trajectories, events } = value;
    delete value.trajectories;
    delete value.events;
    delete value.id;
    const record = decodeValue(value, "request", this.counters.requests);
    if (isProblem(record) || record.kind !== "step") {
      this.counters.badLines++;
      const reason = isProblem(record) ? record.reason : "not a step";
      const field = isProblem(record) ? record.field : undefined;
      return { kind: "error", error: reason, ...(field ? { field } : {}) };
    }
    const { run, step } = record;
    const held = this.takePending(run, step);
    const inlineErrors: string[] = [];
    if (trajectories !== undefined && trajectories !== null) {
      const t = decodeValue({ kind: "trajectories", run, step, columns: binaryColumns(trajectories) }, "request", 0);
      if (isProblem(t)) inlineErrors.push(`trajectories: ${t.reason}`);
      else if (t.kind === "trajectories") this.addColumns(held, t.columns, t.rows);
    }
    if (Array.isArray(events)) {
      for (const e of events) {
        const ev = decodeValue(isObject(e) ? { step, ...e, kind: "event", run } : e, "request", 0);
        if (isProblem(ev)) inlineErrors.push(`events: ${ev.reason}`);
        else if (ev.kind === "event") held.events.push(ev);
      }
    } else if (events !== undefined && events !== null) inlineErrors.push("events: expected an array of events");
    const errors = [...held.errors, ...inlineErrors];
    const input: StepInput = { run, step, metrics: record.metrics, events: held.events };
    if (held.rows > 0) input.trajectories = Object.fromEntries(held.columns);
    const t0 = process.hrtime.bigint();
    const verdict = this.monitor.observe(input);
    this.latency.add(Number(process.hrtime.bigint() - t0) / 1e9);
    this.counters.verdicts++;
    if (errors.length) verdict.errors = [...(verdict.errors ?? []), ...errors];
    this.lastVerdict.set(run, { step, anomalous: verdict.anomalous, actions: verdict.actions.length });
    if (this.lastVerdict.size > this.monitor.runIds.length * 2 + 16) this.pruneLast();
    try {
      this.options.onVerdict?.(verdict, held.events);
    } catch (err) {
      (this.options.onError ?? ((m) => process.stderr.write(`rftfm serve: ${m}\n`)))(
        `after the verdict of ${run} step ${step}: ${(err as Error).message}`,
      );
    }
    return { kind: "verdict", ...verdict };
  }

  private pruneLast(): void {
    const held = new Set(this.monitor.runIds);
    for (const run of this.lastVerdict.keys()) if (!held.has(run)) this.lastVerdict.delete(run);
  }

  private pendingFor(run: string, step: number): Pending {
    let p = this.pending.get(run);
    if (p && p.step !== step) {
      // A new step before the held one's step record: the held parts are stale, say so at the next verdict.
      const stale = `${p.rows} trajectories and ${p.events.length} events held for step ${p.step} got no step record`;
      p = { step, columns: new Map(), rows: 0, events: p.events, errors: [stale] };
      this.pending.set(run, p);
    }
    if (!p) {
      p = { step, columns: new Map(), rows: 0, events: [], errors: [] };
      // Bounded: at most one held step per run, and no more held runs than the monitor holds.
      if (this.pending.size >= (this.options.monitor?.maxRuns ?? 256)) {
        const oldest = this.pending.keys().next().value as string;
        this.pending.delete(oldest);
      }
      this.pending.set(run, p);
    }
    return p;
  }

  private takePending(run: string, step: number): Pending {
    const p = this.pending.get(run);
    this.pending.delete(run);
    if (!p) return { step, columns: new Map(), rows: 0, events: [], errors: [] };
    if (p.step !== step) {
      // Events still apply (they say what the trainer did); a tensor of another step does not.
      const stale = p.rows > 0 ? [`${p.rows} trajectories held for step ${p.step} dropped at step ${step}`] : [];
      return { step, columns: new Map(), rows: 0, events: p.events, errors: [...p.errors, ...stale] };
    }
    return p;
  }

  private addColumns(p: Pending, columns: Record<string, number[]>, rows: number): void {
    if (p.rows + rows > this.maxPendingRows) {
      p.errors.push(`step ${p.step}: more than ${this.maxPendingRows} trajectory rows held; the rest were refused`);
      return;
    }
    // Rows of one step join one tensor; a column missing from a block is NaN there.
    const names = new Set([...p.columns.keys(), ...Object.keys(columns)]);
    for (const name of names) {
      let column = p.columns.get(name);
      if (!column) {
        column = new Array<number>(p.rows).fill(NaN);
        p.columns.set(name, column);
      }
      const add = columns[name];
      if (add) for (let i = 0; i < rows; i++) column.push(add[i]);
      else for (let i = 0; i < rows; i++) column.push(NaN);
    }
    p.rows += rows;
  }
}

/**
 * Inline trajectory columns may come as `{"f64": BASE64}`: the column's float64 values,
 * little-endian (how the Python client sends numeric columns: a tenth of the time of
 * writing and parsing the numbers as text, and NaN needs no spelling). Turned into arrays
 * here; a malformed one is left as it is, for the decoder to refuse with the column's name.
 */
function binaryColumns(columns: unknown): unknown {
  if (!isObject(columns)) return columns;
  const out: Record<string, unknown> = {};
  for (const [name, column] of Object.entries(columns)) {
    const f64 = isObject(column) && Object.keys(column).length === 1 ? column.f64 : undefined;
    if (typeof f64 !== "string") {
      out[name] = column;
      continue;
    }
    const bytes = Buffer.from(f64, "base64");
    if (bytes.length % 8 !== 0) {
      out[name] = `f64 data of ${bytes.length} bytes (not a whole number of float64 values)`;
      continue;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const values = new Array<number>(bytes.length / 8);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat64(i * 8, true);
    out[name] = values;
  }
  return out;
}

function toPolicyOptions(policy: RunPolicy): Partial<PolicyOptions> {
  return {
    mode: policy.mode,
    ...(policy.allowed ? { allowed: policy.allowed } : {}),
    ...(policy.reference ? { reference: policy.reference } : {}),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function withId(reply: Reply, id: unknown): Reply {
  if (id !== undefined) reply.id = id;
  return reply;
}
