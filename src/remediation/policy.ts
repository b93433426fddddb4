/**
 * The remediation policy: a small, pure, deterministic state machine that
 * turns the monitor's per-step verdict into trainer actions.
 *
 * Why a state machine and not a lookup: an action changes the run, so the
 * right next move depends on what was already done. The policy acts once
 * (level 0, the fault's remedy), watches whether the deviation comes back
 * under the alarm threshold for `verifySteps` steps, and escalates (rollback,
 * then halt) only when it does not. A cooldown keeps it from stacking fixes
 * before the last one could work, and a budget bounds how often it may touch
 * a run at all: an automatic fixer that keeps fixing is worse than a halt.
 *
 * Pure: the output depends only on the options, the state and the input (no
 * clock, no randomness, no I/O), so a snapshot restored elsewhere decides the
 * same. `decide` never throws: a bad number in the input is no information.
 */

import type { FaultId } from "../verdict/faults.js";
import type { Action, ActionKind } from "../verdict/types.js";
import { describeActions, formatNumber } from "../verdict/words.js";
import { conf } from "./describe.js";
import { bestDiagnosis, type CleanInput, cleanInput, type PolicyInput } from "./input.js";
import { type Level, planRound, triedEntry } from "./ladder.js";
import { type PolicyOptions, resolveOptions, stripUndefined } from "./options.js";
import { REMEDIES } from "./remedies.js";
import { checkState, copyRun, freshState, type PolicyState, type RunPolicyState } from "./state.js";

export type DecisionKind =
  | "act"
  | "advise"
  | "verified"
  | "escalate"
  | "cooldown"
  | "budget_spent"
  | "uncertain"
  | "disallowed"
  | "quiet";

/** One thing the policy decided at a step, with a reason a person can read. `actions` are the ones decided (applied in act mode, recommended in advise mode). */
export interface Decision {
  step: number;
  kind: DecisionKind;
  reason: string;
  actions: Action[];
}

export interface PolicyOutput {
  /** Actions to apply now, in order (always empty in advise mode). */
  actions: Action[];
  /** The would-be actions in advise mode (always empty in act mode). */
  recommendations: Action[];
  decisions: Decision[];
}

/** The fault a round acts on; a null confidence means it was inferred from non-finite data. */
interface Target {
  fault: FaultId;
  confidence: number | null;
  onset: number | null;
}

export class RemediationPolicy {
  readonly options: Readonly<PolicyOptions>;
  readonly #allowed: ReadonlySet<ActionKind>;
  /** Per-run state, least recently seen first (the eviction order when `maxRuns` is reached). */
  readonly #runs = new Map<string, RunPolicyState>();

  /** Throws a `RangeError` on a bad option (see options.ts); defaults fill the rest. */
  constructor(options: Partial<PolicyOptions> = {}) {
    this.options = Object.freeze(resolveOptions(options));
    this.#allowed = new Set(this.options.allowed);
  }

  /** Reads one step of one run and says what to do. Never throws; inputs at or before the run's last step are ignored. */
  decide(input: PolicyInput): PolicyOutput {
    const decisions: Decision[] = [];
    const x = cleanInput(input);
    if (x !== null) {
      const previous = this.#runs.get(x.run);
      // Work on a copy and keep it only when the step went through: the state never holds half a step.
      const state = previous ? copyRun(previous) : freshState();
      try {
        this.#step(state, x, decisions);
        this.#runs.delete(x.run);
        this.#runs.set(x.run, state);
        if (this.#runs.size > this.options.maxRuns) this.#runs.delete(this.#runs.keys().next().value as string);
      } catch {
        decisions.length = 0;
      }
    }
    const actions = decisions.flatMap((d) => d.actions.map((a) => structuredClone(a)));
    return this.options.mode === "act"
      ? { actions, recommendations: [], decisions }
      : { actions: [], recommendations: actions, decisions };
  }

  /** Drops a run's state (a finished run); true when there was one. */
  forget(run: string): boolean {
    return this.#runs.delete(run);
  }

  /** The runs with state, least recently seen first. */
  runs(): string[] {
    return [...this.#runs.keys()];
  }

  /** A copy of one run's state, for inspection. */
  runState(run: string): RunPolicyState | undefined {
    const state = this.#runs.get(run);
    return state && copyRun(state);
  }

  /** A JSON-serialisable copy of the options and every run's state. */
  snapshot(): PolicyState {
    return {
      version: 1,
      options: { ...this.options, allowed: [...this.options.allowed], reference: { ...this.options.reference } },
      runs: [...this.#runs].map(([run, state]) => [run, copyRun(state)]),
    };
  }

  /**
   * A policy that decides exactly as the snapshotted one would have. `overrides`
   * replace snapshotted options (say, advise mode or a new reference after a
   * restart); without them the later decisions are identical. Throws a
   * `TypeError` on a malformed snapshot, a `RangeError` on a bad override.
   */
  static restore(state: PolicyState, overrides: Partial<PolicyOptions> = {}): RemediationPolicy {
    const checked = checkState(state);
    const policy = new RemediationPolicy({ ...checked.options, ...stripUndefined(overrides ?? {}) });
    for (const [run, s] of checked.runs) policy.#runs.set(run, s);
    for (const run of policy.runs().slice(0, Math.max(0, policy.#runs.size - policy.options.maxRuns)))
      policy.#runs.delete(run);
    return policy;
  }

  #step(state: RunPolicyState, x: CleanInput, out: Decision[]): void {
    if (state.lastStep !== null && x.step <= state.lastStep) return; // a replayed or out-of-order step: no information
    state.lastStep = x.step;
    if (state.finished) return;
    if (x.threshold !== null) state.threshold = x.threshold;
    // Non-finite data is an alarm whatever the monitor said.
    const alarm = x.anomalous || x.nonFinite;
    if (alarm) {
      state.lastAlarm = x.step;
      if (state.episodeStart === null) {
        state.episodeStart = x.step;
        state.alerted = false;
      }
    }

    if (state.pending !== null) {
      this.#watch(state, x, out);
      return;
    }

    if (!alarm) {
      const quietFor = state.lastAlarm === null ? 0 : x.step - state.lastAlarm;
      if ((state.level !== null || state.episodeStart !== null) && quietFor >= this.options.verifySteps) {
        const what =
          state.level !== null ? `ladder back to level 0 (was level ${state.level})` : "alarm episode closed";
        out.push(
          decision(
            x.step,
            "quiet",
            `step ${x.step}: quiet for ${quietFor} steps since the alarm at step ${state.lastAlarm}: ${what}`,
          ),
        );
        Object.assign(state, {
          level: null,
          fault: null,
          confidence: null,
          onset: null,
          tried: [],
          episodeStart: null,
          alerted: false,
          agreeFault: null,
          agreeCount: 0,
        });
      }
      return;
    }

    if (state.lastActionStep !== null && x.step - state.lastActionStep < this.options.cooldown) {
      const since = x.step - state.lastActionStep;
      out.push(
        decision(
          x.step,
          "cooldown",
          `step ${x.step}: alarm ${since} step(s) after the round at step ${state.lastActionStep}, inside the cooldown of ${this.options.cooldown}: no new action`,
        ),
      );
      return;
    }

    const target = this.#target(x);
    if (target === null) {
      state.agreeFault = null;
      state.agreeCount = 0;
      this.#uncertain(state, x, out);
      return;
    }
    state.agreeCount = state.agreeFault === target.fault ? state.agreeCount + 1 : 1;
    state.agreeFault = target.fault;
    const young = x.history !== null && x.history < this.options.minHistory;
    if (young || state.agreeCount < this.options.confirmPoints) {
      const why = young
        ? `the run has ${x.history} logged point(s) of history, fewer than ${this.options.minHistory}`
        : `${target.fault} has led the diagnosis at ${state.agreeCount} of the ${this.options.confirmPoints} alarmed points in a row a fix needs`;
      this.#unconfirmed(state, x, target, why, out);
      return;
    }
    const from: Level = state.level === null ? 0 : state.level === 0 ? 1 : 2;
    const notes: string[] = [];
    if (state.level !== null)
      notes.push(
        `relapse: alarm again within ${this.options.verifySteps} quiet steps of the level ${state.level} round`,
      );
    if (x.nonFinite) notes.push("non-finite deviation: straight to rollback");
    this.#round(state, x, target, x.nonFinite ? (Math.max(from, 1) as Level) : from, null, notes, out);
  }

  /** After a round: judge recovery over `verifySteps`, escalate when it does not come. */
  #watch(state: RunPolicyState, x: CleanInput, out: Decision[]): void {
    const p = state.pending!;
    const threshold = state.threshold;
    const dev = x.deviation;
    const recovered =
      dev !== null && ((threshold !== null && dev < threshold) || (p.deviation !== null && dev < p.deviation / 2));
    p.streak = recovered ? p.streak + 1 : 0;
    const need = Math.min(2, this.options.verifySteps);
    const since = x.step - p.step;
    const named = `${state.fault} (${conf(state.confidence)})`;
    const done = state.tried[state.tried.length - 1] ?? "the last round";
    if (p.streak >= need) {
      const under =
        threshold !== null && dev! < threshold
          ? `below ${formatNumber(threshold)}`
          : `below half of ${formatNumber(p.deviation ?? NaN)}`;
      out.push(
        decision(
          x.step,
          "verified",
          `step ${x.step}: ${named}: deviation ${formatNumber(dev ?? NaN)} ${under} on the last ${need} steps: ${done} verified; ladder stays at level ${p.level}`,
        ),
      );
      state.pending = null;
      return;
    }
    const nonFiniteAfterAdjust = x.nonFinite && p.level === 0;
    if (!nonFiniteAfterAdjust && since < this.options.verifySteps) return;
    state.pending = null;
    let why: string;
    if (x.nonFinite) why = `deviation non-finite ${since} step(s) after the round at step ${p.step}`;
    else if (dev === null) why = `deviation unknown after ${since} steps`;
    else if (threshold !== null && dev >= threshold)
      why = `deviation ${formatNumber(dev ?? NaN)} still above ${formatNumber(threshold)} after ${since} steps`;
    else why = `deviation ${formatNumber(dev ?? NaN)} not recovered on ${need} consecutive steps after ${since} steps`;
    const target = this.#target(x) ?? { fault: state.fault!, confidence: state.confidence, onset: state.onset };
    const next: Level = p.level === 0 ? 1 : 2;
    this.#round(state, x, target, next, why, [], out);
  }

  /** The fault to act on, or null when the diagnosis is too uncertain. Non-finite data means nan_inf unless a fault needing a human is named. */
  #target(x: CleanInput): Target | null {
    const best = bestDiagnosis(x.diagnosis);
    const confident = best !== null && best.confidence >= this.options.minConfidence ? best : null;
    if (x.nonFinite && !(confident && (REMEDIES[confident.fault].human || confident.fault === "nan_inf"))) {
      return { fault: "nan_inf", confidence: null, onset: null };
    }
    return confident;
  }

  /** One alert per alarm episode when no diagnosis is confident enough for a fault-specific remedy. */
  #uncertain(state: RunPolicyState, x: CleanInput, out: Decision[]): void {
    if (state.alerted) return;
    state.alerted = true;
    const best = bestDiagnosis(x.diagnosis);
    const bestText = best ? `best ${best.fault} (${conf(best.confidence)})` : "no usable diagnosis";
    const min = formatNumber(this.options.minConfidence);
    const message = `run ${x.run}: alarm at step ${x.step} with no diagnosis at confidence ${min} or more (${bestText}); nothing was changed`;
    const allowed = this.#allowed.has("alert");
    out.push(
      decision(
        x.step,
        "uncertain",
        `step ${x.step}: ${bestText} below confidence ${min}: alert only${allowed ? "" : " (alert not allowed: nothing)"}`,
        allowed ? [{ kind: "alert", message }] : [],
      ),
    );
  }

  /** One alert per alarm episode while the diagnosis is not yet confirmed (or the run is young): nothing is changed yet. */
  #unconfirmed(state: RunPolicyState, x: CleanInput, target: Target, why: string, out: Decision[]): void {
    if (state.alerted) return;
    state.alerted = true;
    const named = `${target.fault} (${conf(target.confidence)})`;
    const message = `run ${x.run}: alarm at step ${x.step}, diagnosed ${named}; no fix yet: ${why}`;
    const allowed = this.#allowed.has("alert");
    out.push(
      decision(
        x.step,
        "uncertain",
        `step ${x.step}: ${named}: ${why}: alert only${allowed ? "" : " (alert not allowed: nothing)"}`,
        allowed ? [{ kind: "alert", message }] : [],
      ),
    );
  }

  /** One action round at the first allowed level at or above `from`; `why` is set for an escalation. */
  #round(
    state: RunPolicyState,
    x: CleanInput,
    target: Target,
    from: Level,
    why: string | null,
    notes: string[],
    out: Decision[],
  ): void {
    const { fault, confidence } = target;
    const onset = target.onset ?? (fault === state.fault ? state.onset : null);
    const named = `${fault} (${conf(confidence)})`;
    const lead = `step ${x.step}: ${named}: ${why !== null ? `${why}: ` : ""}`;

    if (state.rounds >= this.options.budget) {
      const reason = `${named}: action budget of ${this.options.budget} round(s) spent${
        state.tried.length > 0 ? ` after ${state.tried.join("; ")}` : ""
      }: a human must act`;
      const actions: Action[] = this.#allowed.has("halt")
        ? [{ kind: "halt", reason }]
        : this.#allowed.has("alert")
          ? [{ kind: "alert", message: reason }]
          : [];
      const last = actions.length > 0 ? `final ${actions[0].kind}` : "nothing (halt and alert not allowed)";
      out.push(
        decision(x.step, "budget_spent", `${lead}budget of ${this.options.budget} round(s) spent: ${last}`, actions),
      );
      state.finished = true;
      return;
    }

    const plan = planRound(
      {
        fault,
        confidence,
        onset,
        alarmStep: state.episodeStart ?? x.step,
        checkpoints: x.checkpoints,
        reference: this.options.reference,
        allowed: this.#allowed,
        tried: state.tried,
      },
      from,
    );
    if (plan.dropped.length > 0) {
      const kinds = [...new Set(plan.dropped.map((a) => a.kind))].join(", ");
      out.push(decision(x.step, "disallowed", `${lead}${plan.label}: ${kinds} not allowed: dropped`));
    }
    const kind: DecisionKind = why !== null ? "escalate" : this.options.mode === "act" ? "act" : "advise";
    const extra = [...plan.notes, ...notes];
    const reason = `${lead}${why !== null ? "escalate to " : ""}${plan.label}: ${describeActions(plan.actions)}${
      extra.length > 0 ? ` (${extra.join("; ")})` : ""
    }`;
    out.push(decision(x.step, kind, reason, plan.actions));

    state.rounds += 1;
    state.level = typeof plan.level === "number" ? plan.level : 2;
    state.fault = fault;
    state.confidence = confidence;
    state.onset = onset;
    state.tried.push(triedEntry(plan.actions, x.step));
    state.lastActionStep = x.step;
    state.pending =
      plan.level === 0 || plan.level === 1
        ? { step: x.step, level: plan.level, deviation: x.deviation, streak: 0 }
        : null;
    state.finished = plan.final;
  }
}

function decision(step: number, kind: DecisionKind, reason: string, actions: Action[] = []): Decision {
  return { step, kind, reason, actions };
}
