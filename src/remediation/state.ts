/**
 * What the policy remembers about each run, in plain JSON values (finite
 * numbers, strings, booleans, null), so that a snapshot can be written next
 * to a trainer checkpoint and restored after a restart with identical later
 * decisions. The per-run state is small and bounded: a few numbers, and the
 * list of rounds tried on the current ladder (at most one per level plus
 * relapses, reset when the run goes quiet).
 */
import { type FaultId, isFaultId } from "../verdict/faults.js";
import type { Level } from "./ladder.js";
import { type PolicyOptions, resolveOptions } from "./options.js";

/** An action round whose effect is being watched. */
export interface Pending {
  /** Step of the round. */
  step: number;
  level: 0 | 1;
  /** Deviation at the round, null when unknown or non-finite (then only the threshold judges recovery). */
  deviation: number | null;
  /** Consecutive recovered steps since the round. */
  streak: number;
}

export interface RunPolicyState {
  /** Last step read; inputs at or before it are ignored. */
  lastStep: number | null;
  /** Last valid alarm threshold. */
  threshold: number | null;
  /** Last anomalous step. */
  lastAlarm: number | null;
  /** First alarm step of the open alarm episode, null when none is open. */
  episodeStart: number | null;
  /** The "uncertain" alert of this episode was given. */
  alerted: boolean;
  /** Ladder level of the last round, null when none since the run was last quiet. */
  level: Level | null;
  /** Fault, confidence and onset the ladder acts on. */
  fault: FaultId | null;
  confidence: number | null;
  onset: number | null;
  /** Rounds of this ladder, for halt reasons. */
  tried: string[];
  /** Action rounds taken in this run (never reset: the budget is per run). */
  rounds: number;
  /** Step of the last round, for the cooldown. */
  lastActionStep: number | null;
  pending: Pending | null;
  /** A halt or final word was given: the policy says nothing more for this run. */
  finished: boolean;
  /** The fault that led the confident diagnosis at the last alarmed points, and at how many in a row (`confirmPoints`). */
  agreeFault: FaultId | null;
  agreeCount: number;
}

export function freshState(): RunPolicyState {
  return {
    lastStep: null,
    threshold: null,
    lastAlarm: null,
    episodeStart: null,
    alerted: false,
    level: null,
    fault: null,
    confidence: null,
    onset: null,
    tried: [],
    rounds: 0,
    lastActionStep: null,
    pending: null,
    finished: false,
    agreeFault: null,
    agreeCount: 0,
  };
}

/** A JSON-serialisable snapshot of a whole policy: its options and every run's state, least recently seen first. */
export interface PolicyState {
  version: 1;
  options: PolicyOptions;
  runs: [string, RunPolicyState][];
}

const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const numOrNull = (x: unknown) => x === null || isNum(x);

/** Checks a snapshot read back from JSON; throws a `TypeError` naming what is wrong. */
export function checkState(state: unknown): PolicyState {
  const fail = (what: string): never => {
    throw new TypeError(`remediation: bad policy snapshot: ${what}`);
  };
  if (state === null || typeof state !== "object") fail("not an object");
  const s = state as Record<string, unknown>;
  if (s.version !== 1) fail(`version ${String(s.version)}`);
  const options = resolveOptions(s.options as Partial<PolicyOptions>);
  if (!Array.isArray(s.runs)) fail("runs is not an array");
  const runs: [string, RunPolicyState][] = [];
  for (const entry of s.runs as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== "string")
      fail("a run entry is not [name, state]");
    const [name, raw] = entry as [string, unknown];
    runs.push([name, checkRun(name, raw, fail)]);
  }
  return { version: 1, options, runs };
}

function checkRun(name: string, raw: unknown, fail: (what: string) => never): RunPolicyState {
  if (raw === null || typeof raw !== "object") fail(`run ${name}: not an object`);
  const r = raw as Record<string, unknown>;
  for (const key of ["lastStep", "threshold", "lastAlarm", "episodeStart", "confidence", "onset", "lastActionStep"]) {
    if (!numOrNull(r[key])) fail(`run ${name}: ${key}`);
  }
  if (!(r.level === null || r.level === 0 || r.level === 1 || r.level === 2)) fail(`run ${name}: level`);
  if (!(r.fault === null || isFaultId(r.fault))) fail(`run ${name}: fault`);
  if (!Array.isArray(r.tried) || !r.tried.every((t) => typeof t === "string")) fail(`run ${name}: tried`);
  if (!(typeof r.rounds === "number" && Number.isInteger(r.rounds) && r.rounds >= 0)) fail(`run ${name}: rounds`);
  if (typeof r.alerted !== "boolean" || typeof r.finished !== "boolean") fail(`run ${name}: flags`);
  let pending: Pending | null = null;
  if (r.pending !== null) {
    const p = r.pending as Record<string, unknown> | undefined;
    if (!p || typeof p !== "object" || !isNum(p.step) || !(p.level === 0 || p.level === 1) || !numOrNull(p.deviation)) {
      fail(`run ${name}: pending`);
    }
    if (!(typeof p!.streak === "number" && Number.isInteger(p!.streak) && p!.streak >= 0))
      fail(`run ${name}: pending streak`);
    pending = {
      step: p!.step as number,
      level: p!.level as 0 | 1,
      deviation: p!.deviation as number | null,
      streak: p!.streak as number,
    };
  }
  return {
    lastStep: r.lastStep as number | null,
    threshold: r.threshold as number | null,
    lastAlarm: r.lastAlarm as number | null,
    episodeStart: r.episodeStart as number | null,
    alerted: r.alerted as boolean,
    level: r.level as Level | null,
    fault: r.fault as FaultId | null,
    confidence: r.confidence as number | null,
    onset: r.onset as number | null,
    tried: [...(r.tried as string[])],
    rounds: r.rounds as number,
    lastActionStep: r.lastActionStep as number | null,
    pending,
    finished: r.finished as boolean,
    // Snapshots from before confirmation was counted have neither field: nothing confirmed yet.
    agreeFault: isFaultId(r.agreeFault) ? r.agreeFault : null,
    agreeCount:
      typeof r.agreeCount === "number" && Number.isInteger(r.agreeCount) && r.agreeCount >= 0 ? r.agreeCount : 0,
  };
}

/** A deep copy (the state holds only JSON values). */
export function copyRun(state: RunPolicyState): RunPolicyState {
  return { ...state, tried: [...state.tried], pending: state.pending && { ...state.pending } };
}
