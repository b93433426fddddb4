import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as bench from "../../bench/faultbench/faults.js";
import {
  type PolicyInput,
  type PolicyOptions,
  type PolicyOutput,
  REMEDIES,
  RemediationPolicy,
  rollbackTarget,
} from "../../src/remediation/index.js";
import { FAULT_FAMILIES, FAULT_IDS, type FaultId, REMEDIABLE_FAULTS } from "../../src/verdict/faults.js";
import type { Action } from "../../src/verdict/types.js";

/**
 * A policy without the confirmation gate (one alarmed point is enough, any
 * history), so these tests pin the ladder's own mechanics; the gate has its
 * own tests ("confirmation before a fix").
 */
const ladder = (options: Partial<PolicyOptions> = {}) =>
  new RemediationPolicy({ confirmPoints: 1, minHistory: 0, ...options });

const CHECKPOINTS = [0, 10, 20, 30, 40];
const REFERENCE = { kl_coef: 0.05, temperature: 1, max_response_length: 1024, grad_clip: 1 };

/** A quiet step of run "r": no alarm, deviation 1, threshold 6. */
function quiet(step: number, over: Partial<PolicyInput> = {}): PolicyInput {
  return {
    run: "r",
    step,
    anomalous: false,
    diagnosis: [],
    deviation: 1,
    threshold: 6,
    checkpoints: CHECKPOINTS,
    ...over,
  };
}

/** An alarmed step diagnosed as `fault` (confidence 0.81, onset 35 unless given). */
function alarm(
  step: number,
  fault: FaultId | string,
  over: Partial<PolicyInput> & { confidence?: number; onset?: number | null } = {},
): PolicyInput {
  const { confidence = 0.81, onset = 35, ...rest } = over;
  const family = (FAULT_FAMILIES as Record<string, string>)[fault] ?? "unknown";
  return quiet(step, { anomalous: true, deviation: 9.1, diagnosis: [{ fault, family, confidence, onset }], ...rest });
}

function play(policy: RemediationPolicy, inputs: PolicyInput[]): PolicyOutput[] {
  return inputs.map((input) => policy.decide(input));
}

/** Steps a..b (inclusive) alarmed with lr_too_high and a deviation that stays at 9.1. */
function stuck(a: number, b: number, fault: FaultId = "lr_too_high"): PolicyInput[] {
  const out: PolicyInput[] = [];
  for (let s = a; s <= b; s++) out.push(alarm(s, fault));
  return out;
}

/** Every action of a scenario, with its step. */
function acted(
  outputs: PolicyOutput[],
  field: "actions" | "recommendations" = "actions",
): { step: number; actions: Action[] }[] {
  return outputs.flatMap((o, i) =>
    o[field].length > 0 ? [{ step: o.decisions[0]?.step ?? i, actions: o[field] }] : [],
  );
}

describe("remedy table", () => {
  it("has a row for every fault, and halts exactly the faults that are not remediable", () => {
    expect(Object.keys(REMEDIES).sort()).toEqual([...FAULT_IDS].sort());
    for (const fault of FAULT_IDS) expect(REMEDIES[fault].human, fault).toBe(!REMEDIABLE_FAULTS.has(fault));
  });

  it("the benchmark re-exports the library's fault ids", () => {
    expect(bench.FAULT_FAMILIES).toBe(FAULT_FAMILIES);
    expect(bench.FAULT_IDS).toBe(FAULT_IDS);
    expect(bench.REMEDIABLE_FAULTS).toBe(REMEDIABLE_FAULTS);
    expect(bench.CONFIGURATION_FAULTS.size).toBe(6);
  });

  const expected: Record<FaultId, Action[]> = {
    lr_too_high: [{ kind: "scale_lr", factor: 0.5 }],
    kl_penalty_off: [{ kind: "set_hparam", name: "kl_coef", value: 0.05 }],
    temperature_misconfigured: [{ kind: "set_hparam", name: "temperature", value: 1 }],
    length_truncation: [{ kind: "set_hparam", name: "max_response_length", value: 1024 }],
    rollout_policy_mismatch: [{ kind: "resync_weights" }],
    gradient_explosion: [
      { kind: "set_hparam", name: "grad_clip", value: 1 },
      { kind: "scale_lr", factor: 0.5 },
    ],
    nan_inf: [{ kind: "skip_batch" }],
    difficulty_skew: [{ kind: "filter_groups", mode: "zero_variance" }],
    reward_noise: [{ kind: "scale_lr", factor: 0.5 }],
    tool_failure: [{ kind: "restart_workers" }],
    worker_failure: [{ kind: "restart_workers" }],
    observation_corruption: [
      {
        kind: "alert",
        message:
          "observation_corruption: the environment feeds corrupted prompts or observations; check the data shard, the chat template and the tool output",
      },
    ],
    reward_hacking: [
      { kind: "rollback", to_step: 30 },
      {
        kind: "halt",
        reason: "reward_hacking (0.81) needs a human: the reward can be gamed: the reward must be fixed by a human",
      },
    ],
    reward_parse_failure: [
      { kind: "rollback", to_step: 30 },
      {
        kind: "halt",
        reason:
          "reward_parse_failure (0.81) needs a human: the reward function stopped parsing answers: the verifier must be fixed by a human",
      },
    ],
    group_misindexing: [
      { kind: "rollback", to_step: 30 },
      {
        kind: "halt",
        reason:
          "group_misindexing (0.81) needs a human: samples of one prompt are not grouped together: a pipeline bug for a human",
      },
    ],
    advantage_misnormalization: [
      { kind: "rollback", to_step: 30 },
      {
        kind: "halt",
        reason:
          "advantage_misnormalization (0.81) needs a human: advantages are computed wrongly: a code bug for a human",
      },
    ],
  };

  for (const fault of FAULT_IDS) {
    it(`${fault}: the first round`, () => {
      const policy = ladder({ reference: REFERENCE });
      const out = policy.decide(alarm(42, fault));
      expect(out.actions).toEqual(expected[fault]);
      expect(out.recommendations).toEqual([]);
      expect(out.decisions.map((d) => d.kind)).toEqual(["act"]);
      expect(out.decisions[0].reason).toContain(`step 42: ${fault} (0.81): `);
    });
  }

  it("lr_too_high restores the known-good learning rate when the adapter gives one", () => {
    const out = ladder({ reference: { ...REFERENCE, lr: 1e-6 } }).decide(alarm(42, "lr_too_high"));
    expect(out.actions).toEqual([{ kind: "set_hparam", name: "lr", value: 1e-6 }]);
  });

  it("names step, fault, confidence and level in the reason", () => {
    const out = ladder().decide(alarm(42, "lr_too_high"));
    expect(out.decisions).toEqual([
      {
        step: 42,
        kind: "act",
        reason: "step 42: lr_too_high (0.81): level 0 adjust: scale_lr 0.5 (no reference for lr)",
        actions: [{ kind: "scale_lr", factor: 0.5 }],
      },
    ]);
  });

  it("a human-needing fault stops the run: nothing after the halt", () => {
    const policy = ladder();
    const outs = play(policy, [alarm(42, "reward_hacking"), ...stuck(43, 60)]);
    expect(acted(outs).map((a) => a.step)).toEqual([42]);
    expect(outs.slice(1).every((o) => o.decisions.length === 0)).toBe(true);
  });

  it("falls back to the next plan when a reference is missing", () => {
    const kl = ladder().decide(alarm(42, "kl_penalty_off"));
    expect(kl.actions).toEqual([
      {
        kind: "alert",
        message: "kl_penalty_off: set kl_coef back to its known-good value (the trainer adapter supplied none)",
      },
    ]);
    expect(kl.decisions[0].reason).toBe(
      "step 42: kl_penalty_off (0.81): level 0 adjust: alert (no reference for kl_coef)",
    );
    const grad = ladder({ reference: { kl_coef: 0.1, grad_clip: Number.NaN } }).decide(alarm(42, "gradient_explosion"));
    expect(grad.actions).toEqual([{ kind: "scale_lr", factor: 0.5 }]);
  });
});

describe("escalation ladder", () => {
  it("adjust -> rollback -> halt while the deviation stays high, then nothing", () => {
    const policy = ladder();
    const outs = play(policy, stuck(42, 60));
    expect(acted(outs)).toEqual([
      { step: 42, actions: [{ kind: "scale_lr", factor: 0.5 }] },
      {
        step: 46,
        actions: [
          { kind: "rollback", to_step: 30 },
          { kind: "scale_lr", factor: 0.5 },
        ],
      },
      {
        step: 50,
        actions: [
          {
            kind: "halt",
            reason:
              "lr_too_high (0.81): not recovered after scale_lr 0.5 at step 42; rollback to 30 + scale_lr 0.5 at step 46: a human must act",
          },
        ],
      },
    ]);
    expect(outs[4].decisions).toEqual([
      {
        step: 46,
        kind: "escalate",
        reason:
          "step 46: lr_too_high (0.81): deviation 9.1 still above 6 after 4 steps: escalate to level 1 rollback: rollback to 30 + scale_lr 0.5 (no reference for lr)",
        actions: [
          { kind: "rollback", to_step: 30 },
          { kind: "scale_lr", factor: 0.5 },
        ],
      },
    ]);
    expect(outs[8].decisions[0].kind).toBe("escalate");
    // Steps inside a verification window and after the halt say nothing.
    for (const i of [1, 2, 3, 5, 6, 7, 9, 10, 18]) expect(outs[i].decisions, `step ${42 + i}`).toEqual([]);
  });

  it("verification stops the escalation when the deviation drops below the threshold on two steps", () => {
    const policy = ladder();
    const outs = play(policy, [
      alarm(42, "lr_too_high"),
      alarm(43, "lr_too_high", { deviation: 5 }),
      alarm(44, "lr_too_high", { deviation: 3 }),
      quiet(45),
      quiet(46),
      quiet(47),
    ]);
    expect(acted(outs).map((a) => a.step)).toEqual([42]);
    expect(outs[2].decisions).toEqual([
      {
        step: 44,
        kind: "verified",
        reason:
          "step 44: lr_too_high (0.81): deviation 3 below 6 on the last 2 steps: scale_lr 0.5 at step 42 verified; ladder stays at level 0",
        actions: [],
      },
    ]);
    expect(outs[1].decisions).toEqual([]);
    expect(outs.slice(3).flatMap((o) => o.decisions)).toEqual([]);
  });

  it("verification also accepts a deviation below half of the one at the round", () => {
    const policy = ladder();
    const outs = play(policy, [
      alarm(42, "lr_too_high", { deviation: 20 }),
      alarm(43, "lr_too_high", { deviation: 9 }),
      alarm(44, "lr_too_high", { deviation: 8 }),
    ]);
    expect(outs[2].decisions.map((d) => d.kind)).toEqual(["verified"]);
    expect(outs[2].decisions[0].reason).toContain("deviation 8 below half of 20 on the last 2 steps");
  });

  it("one recovered step is not enough: a relapse on the last step escalates", () => {
    const policy = ladder();
    const outs = play(policy, [
      alarm(42, "lr_too_high"),
      alarm(43, "lr_too_high", { deviation: 3 }),
      alarm(44, "lr_too_high", { deviation: 9 }),
      alarm(45, "lr_too_high", { deviation: 3 }),
      alarm(46, "lr_too_high", { deviation: 7 }),
    ]);
    expect(outs[4].decisions.map((d) => d.kind)).toEqual(["escalate"]);
  });

  it("a new alarm soon after a verified round climbs the ladder; after verifySteps quiet steps it starts at level 0 again", () => {
    const relapse = play(ladder(), [
      alarm(42, "lr_too_high"),
      quiet(43),
      quiet(44),
      quiet(45),
      alarm(47, "lr_too_high"),
    ]);
    expect(relapse[2].decisions.map((d) => d.kind)).toEqual(["verified"]);
    expect(relapse[4].actions).toEqual([
      { kind: "rollback", to_step: 30 },
      { kind: "scale_lr", factor: 0.5 },
    ]);
    expect(relapse[4].decisions[0].reason).toBe(
      "step 47: lr_too_high (0.81): level 1 rollback: rollback to 30 + scale_lr 0.5 (no reference for lr; relapse: alarm again within 4 quiet steps of the level 0 round)",
    );

    const fresh = play(ladder(), [
      alarm(42, "lr_too_high"),
      quiet(43),
      quiet(44),
      quiet(45),
      quiet(46),
      alarm(52, "lr_too_high"),
    ]);
    expect(fresh[4].decisions).toEqual([
      {
        step: 46,
        kind: "quiet",
        reason: "step 46: quiet for 4 steps since the alarm at step 42: ladder back to level 0 (was level 0)",
        actions: [],
      },
    ]);
    expect(fresh[5].actions).toEqual([{ kind: "scale_lr", factor: 0.5 }]);
    expect(fresh[5].decisions[0].reason).toBe(
      "step 52: lr_too_high (0.81): level 0 adjust: scale_lr 0.5 (no reference for lr)",
    );
  });

  it("non-finite deviation goes straight to level 1: rollback + skip_batch", () => {
    const policy = ladder();
    const out = policy.decide(quiet(42, { anomalous: false, deviation: Number.NaN }));
    expect(out.actions).toEqual([{ kind: "rollback", to_step: 40 }, { kind: "skip_batch" }]);
    expect(out.decisions[0].reason).toBe(
      "step 42: nan_inf (non-finite data): level 1 rollback: rollback to 40 + skip_batch (non-finite deviation: straight to rollback)",
    );
    // Still non-finite for the whole window: halt.
    const outs = play(
      policy,
      [43, 44, 45, 46].map((s) => quiet(s, { deviation: Number.POSITIVE_INFINITY })),
    );
    expect(outs[3].actions.map((a) => a.kind)).toEqual(["halt"]);
  });

  it("a diagnosed nan_inf with finite data is level 0 (skip_batch); non-finite data during its watch escalates at once", () => {
    const policy = ladder();
    const outs = play(policy, [
      alarm(42, "nan_inf", { onset: 41 }),
      alarm(43, "nan_inf", { deviation: Number.NaN, onset: 41 }),
    ]);
    expect(outs[0].actions).toEqual([{ kind: "skip_batch" }]);
    expect(outs[1].actions).toEqual([{ kind: "rollback", to_step: 40 }, { kind: "skip_batch" }]);
    expect(outs[1].decisions[0].reason).toBe(
      "step 43: nan_inf (0.81): deviation non-finite 1 step(s) after the round at step 42: escalate to level 1 rollback: rollback to 40 + skip_batch",
    );
  });
});

describe("cooldown and budget", () => {
  it("cooldown blocks a new round inside the window, then a round is taken", () => {
    const policy = ladder({ cooldown: 10 });
    const outs = play(policy, [
      alarm(42, "lr_too_high"),
      quiet(43),
      quiet(44), // verified
      alarm(45, "lr_too_high"),
      alarm(51, "lr_too_high"),
      alarm(52, "lr_too_high"),
    ]);
    expect(outs[3].decisions).toEqual([
      {
        step: 45,
        kind: "cooldown",
        reason: "step 45: alarm 3 step(s) after the round at step 42, inside the cooldown of 10: no new action",
        actions: [],
      },
    ]);
    expect(outs[4].decisions.map((d) => d.kind)).toEqual(["cooldown"]);
    expect(outs[3].actions).toEqual([]);
    expect(outs[4].actions).toEqual([]);
    expect(outs[5].actions).toEqual([
      { kind: "rollback", to_step: 30 },
      { kind: "scale_lr", factor: 0.5 },
    ]);
  });

  it("escalation ignores the cooldown", () => {
    const outs = play(ladder({ cooldown: 100 }), stuck(42, 46));
    expect(outs[4].decisions.map((d) => d.kind)).toEqual(["escalate"]);
  });

  it("the budget caps rounds and ends with one halt, then nothing", () => {
    const policy = ladder({ budget: 2 });
    const outs = play(policy, stuck(42, 70));
    expect(acted(outs).map((a) => a.step)).toEqual([42, 46, 50]);
    expect(outs[8].decisions).toEqual([
      {
        step: 50,
        kind: "budget_spent",
        reason:
          "step 50: lr_too_high (0.81): deviation 9.1 still above 6 after 4 steps: budget of 2 round(s) spent: final halt",
        actions: [
          {
            kind: "halt",
            reason:
              "lr_too_high (0.81): action budget of 2 round(s) spent after scale_lr 0.5 at step 42; rollback to 30 + scale_lr 0.5 at step 46: a human must act",
          },
        ],
      },
    ]);
    expect(outs.slice(9).flatMap((o) => o.decisions)).toEqual([]);
  });

  it("the budget counts relapse rounds too, and ends with an alert when halt is not allowed", () => {
    const allowed = (["scale_lr", "alert", "rollback"] as const).slice();
    const policy = ladder({ budget: 1, allowed });
    const outs = play(policy, [
      alarm(42, "lr_too_high"),
      quiet(43),
      quiet(44),
      alarm(47, "lr_too_high"),
      alarm(48, "lr_too_high"),
    ]);
    expect(outs[3].decisions.map((d) => d.kind)).toEqual(["budget_spent"]);
    expect(outs[3].actions).toEqual([
      {
        kind: "alert",
        message:
          "lr_too_high (0.81): action budget of 1 round(s) spent after scale_lr 0.5 at step 42: a human must act",
      },
    ]);
    expect(outs[4].decisions).toEqual([]);
  });

  it("a budget of 0 halts at the first alarm that needs a round", () => {
    const out = ladder({ budget: 0 }).decide(alarm(42, "worker_failure"));
    expect(out.decisions.map((d) => d.kind)).toEqual(["budget_spent"]);
    expect(out.actions.map((a) => a.kind)).toEqual(["halt"]);
  });
});

describe("advise mode", () => {
  it("returns no actions, the same decisions, and the would-be actions as recommendations", () => {
    const script = [...stuck(42, 47), quiet(48, { deviation: 2 }), quiet(49, { deviation: 2 }), ...stuck(56, 70)];
    const act = play(ladder(), script);
    const advise = play(ladder({ mode: "advise" }), script);
    expect(advise.every((o) => o.actions.length === 0)).toBe(true);
    expect(act.every((o) => o.recommendations.length === 0)).toBe(true);
    expect(advise.map((o) => o.recommendations)).toEqual(act.map((o) => o.actions));
    const kinds = (outs: PolicyOutput[]) => outs.flatMap((o) => o.decisions.map((d) => d.kind));
    expect(kinds(act)).toEqual(["act", "escalate", "verified", "act"]);
    expect(acted(act).map((a) => a.actions.map((x) => x.kind))).toEqual([
      ["scale_lr"],
      ["rollback", "scale_lr"],
      ["halt"],
    ]);
    expect(advise.map((o) => o.decisions)).toEqual(
      act.map((o) => o.decisions.map((d) => (d.kind === "act" ? { ...d, kind: "advise" } : d))),
    );
    expect(kinds(advise)).toContain("advise");
  });
});

describe("allowed kinds", () => {
  it("drops a disallowed action and logs it", () => {
    const policy = ladder({ reference: REFERENCE, allowed: ["scale_lr", "rollback", "halt", "alert"] });
    const out = policy.decide(alarm(42, "gradient_explosion"));
    expect(out.actions).toEqual([{ kind: "scale_lr", factor: 0.5 }]);
    expect(out.decisions).toEqual([
      {
        step: 42,
        kind: "disallowed",
        reason: "step 42: gradient_explosion (0.81): level 0 adjust: set_hparam not allowed: dropped",
        actions: [],
      },
      {
        step: 42,
        kind: "act",
        reason: "step 42: gradient_explosion (0.81): level 0 adjust: scale_lr 0.5",
        actions: [{ kind: "scale_lr", factor: 0.5 }],
      },
    ]);
  });

  it("skips a level whose remedy is not allowed: straight to rollback", () => {
    const out = ladder({ allowed: ["rollback", "halt", "alert"] }).decide(alarm(42, "lr_too_high"));
    expect(out.actions).toEqual([{ kind: "rollback", to_step: 30 }]);
    expect(out.decisions.map((d) => d.kind)).toEqual(["disallowed", "act"]);
    expect(out.decisions[1].reason).toBe(
      "step 42: lr_too_high (0.81): level 1 rollback: rollback to 30 (no reference for lr)",
    );
  });

  it("escalation skips a disallowed rollback and goes to halt", () => {
    const outs = play(ladder({ allowed: ["scale_lr", "halt"] }), stuck(42, 50));
    expect(acted(outs).map((a) => [a.step, a.actions.map((x) => x.kind)])).toEqual([
      [42, ["scale_lr"]],
      [46, ["halt"]],
    ]);
    expect(outs[4].decisions.map((d) => d.kind)).toEqual(["disallowed", "escalate"]);
    expect(outs[4].decisions[0].reason).toContain("rollback not allowed: dropped");
  });

  it("a human-needing fault without halt allowed gets an alert", () => {
    const out = ladder({ allowed: ["alert"] }).decide(alarm(42, "reward_parse_failure"));
    expect(out.actions.map((a) => a.kind)).toEqual(["alert"]);
    expect(out.decisions.map((d) => d.kind)).toEqual(["disallowed", "act"]);
  });

  it("with nothing but scale_lr allowed the ladder ends silently after the adjust round", () => {
    const outs = play(ladder({ allowed: ["scale_lr"] }), stuck(42, 60));
    expect(acted(outs).map((a) => a.step)).toEqual([42]);
    expect(outs[4].decisions.map((d) => d.kind)).toEqual(["disallowed", "escalate"]);
    expect(outs[4].decisions[1].reason).toContain("escalate to no allowed level left: nothing");
    expect(outs.slice(5).flatMap((o) => o.decisions)).toEqual([]);
  });
});

describe("rollback target", () => {
  it("is the last checkpoint at or before onset - 1", () => {
    expect(rollbackTarget([0, 10, 20, 30, 34, 40], 35, 42)).toBe(34);
    expect(rollbackTarget([0, 10, 20, 30, 35, 40], 35, 42)).toBe(30);
    expect(rollbackTarget([40, 30, 10], 35, 42)).toBe(30); // any order
  });
  it("is before the alarm step when the onset is unknown or not credible, and 0 when no checkpoint is early enough", () => {
    expect(rollbackTarget([0, 10, 20, 30, 40], null, 42)).toBe(40);
    expect(rollbackTarget([0, 10, 20, 30, 40], 50, 42)).toBe(40);
    expect(rollbackTarget([10, 20], 5, 42)).toBe(0);
    expect(rollbackTarget([], 35, 42)).toBe(0);
  });
  it("uses the episode's first alarm step, not the step of the round", () => {
    const policy = ladder({ allowed: ["rollback", "halt", "alert"] });
    const outs = play(policy, [
      alarm(40, "lr_too_high", { confidence: 0.1, onset: null }),
      alarm(41, "lr_too_high", { confidence: 0.1, onset: null }),
      alarm(42, "lr_too_high", { onset: null }),
    ]);
    expect(outs[2].actions).toEqual([{ kind: "rollback", to_step: 30 }]);
  });
  it("a human-needing fault rolls back to before its onset", () => {
    const out = ladder().decide(alarm(42, "reward_hacking", { onset: 12, checkpoints: [0, 5, 10, 15, 20] }));
    expect(out.actions[0]).toEqual({ kind: "rollback", to_step: 10 });
  });
});

describe("uncertain diagnosis", () => {
  it("low confidence: one alert per alarm episode, not per step", () => {
    const policy = ladder();
    const low = (s: number) => alarm(s, "lr_too_high", { confidence: 0.12 });
    const outs = play(policy, [
      low(42),
      low(43),
      low(44),
      low(45),
      low(46),
      quiet(47),
      quiet(48),
      quiet(49),
      quiet(50),
      low(55),
      low(56),
    ]);
    expect(acted(outs)).toEqual([
      {
        step: 42,
        actions: [
          {
            kind: "alert",
            message:
              "run r: alarm at step 42 with no diagnosis at confidence 0.3 or more (best lr_too_high (0.12)); nothing was changed",
          },
        ],
      },
      {
        step: 55,
        actions: [
          {
            kind: "alert",
            message:
              "run r: alarm at step 55 with no diagnosis at confidence 0.3 or more (best lr_too_high (0.12)); nothing was changed",
          },
        ],
      },
    ]);
    expect(outs[0].decisions).toEqual([
      {
        step: 42,
        kind: "uncertain",
        reason: "step 42: best lr_too_high (0.12) below confidence 0.3: alert only",
        actions: outs[0].actions,
      },
    ]);
    expect(outs[8].decisions.map((d) => d.kind)).toEqual(["quiet"]);
    expect(policy.runState("r")?.rounds).toBe(0);
  });

  it("no diagnosis at all: alert, and a confident diagnosis later in the episode acts", () => {
    const policy = ladder();
    const outs = play(policy, [quiet(42, { anomalous: true, deviation: 8 }), alarm(43, "worker_failure")]);
    expect(outs[0].decisions[0].reason).toBe("step 42: no usable diagnosis below confidence 0.3: alert only");
    expect(outs[1].actions).toEqual([{ kind: "restart_workers" }]);
  });
});

describe("snapshot and restore", () => {
  const script: PolicyInput[] = [
    alarm(42, "lr_too_high", { confidence: 0.1 }),
    alarm(43, "gradient_explosion"),
    alarm(44, "gradient_explosion", { deviation: 4 }),
    alarm(45, "gradient_explosion", { deviation: 9 }),
    alarm(46, "gradient_explosion", { deviation: 9 }),
    alarm(47, "gradient_explosion", { deviation: 9 }),
    { ...alarm(48, "gradient_explosion"), run: "other" },
    alarm(49, "gradient_explosion", { deviation: 2 }),
    alarm(50, "gradient_explosion", { deviation: 2 }),
    alarm(56, "gradient_explosion", { deviation: 12 }),
    ...stuck(57, 66, "gradient_explosion"),
    quiet(67),
  ];

  // How many decisions the rest of the script holds after each cut (the full script: uncertain 42,
  // act 43, escalate 47, act 48 on run "other", verified 50, halt 56), so that the comparison is not vacuous.
  const later: Record<number, number> = { 0: 6, 2: 4, 5: 4, 8: 2, 12: 0 };
  for (const cut of [0, 2, 5, 8, 12]) {
    it(`a JSON round trip after ${cut} steps gives identical later outputs`, () => {
      const options: Partial<PolicyOptions> = { reference: REFERENCE, cooldown: 3 };
      const original = ladder(options);
      play(original, script.slice(0, cut));
      const restored = RemediationPolicy.restore(JSON.parse(JSON.stringify(original.snapshot())));
      expect(restored.snapshot()).toEqual(original.snapshot());
      const rest = script.slice(cut);
      const a = play(original, rest);
      const b = play(restored, rest);
      expect(b).toEqual(a);
      expect(a.flatMap((o) => o.decisions).length).toBe(later[cut]);
    });
  }

  it("restore can override options, and rejects malformed snapshots", () => {
    const original = ladder();
    original.decide(alarm(42, "lr_too_high"));
    const advise = RemediationPolicy.restore(original.snapshot(), { mode: "advise" });
    expect(advise.options.mode).toBe("advise");
    expect(advise.decide(alarm(46, "lr_too_high")).recommendations.map((a) => a.kind)).toEqual([
      "rollback",
      "scale_lr",
    ]);
    expect(() => RemediationPolicy.restore({ version: 2 } as never)).toThrow(TypeError);
    const bad = original.snapshot();
    (bad.runs[0][1] as unknown as Record<string, unknown>).level = 7;
    expect(() => RemediationPolicy.restore(bad)).toThrow(/level/);
  });
});

describe("runs", () => {
  it("keeps per-run state apart, forgets on request, and evicts the least recently seen run", () => {
    const policy = ladder({ maxRuns: 2 });
    policy.decide({ ...alarm(42, "lr_too_high"), run: "a" });
    policy.decide({ ...alarm(42, "lr_too_high"), run: "b" });
    policy.decide({ ...quiet(43), run: "a" });
    policy.decide({ ...alarm(42, "lr_too_high"), run: "c" });
    expect(policy.runs()).toEqual(["a", "c"]);
    expect(policy.forget("a")).toBe(true);
    expect(policy.forget("a")).toBe(false);
    expect(policy.runs()).toEqual(["c"]);
  });

  it("ignores a replayed or out-of-order step", () => {
    const policy = ladder();
    policy.decide(alarm(42, "lr_too_high"));
    expect(policy.decide(alarm(42, "lr_too_high")).decisions).toEqual([]);
    expect(policy.decide(alarm(30, "worker_failure")).decisions).toEqual([]);
  });
});

describe("options", () => {
  it("rejects bad options at construction", () => {
    expect(() => ladder({ cooldown: -1 })).toThrow(RangeError);
    expect(() => ladder({ budget: 1.5 })).toThrow(RangeError);
    expect(() => ladder({ verifySteps: 0 })).toThrow(RangeError);
    expect(() => ladder({ minConfidence: Number.NaN })).toThrow(RangeError);
    expect(() => ladder({ mode: "fix" as never })).toThrow(RangeError);
    expect(() => ladder({ allowed: ["reboot" as never] })).toThrow(RangeError);
    expect(ladder({ cooldown: undefined }).options.cooldown).toBe(5);
  });
});

describe("garbage inputs", () => {
  it("NaN confidence, negative steps and unknown fault ids do not throw and count as no information", () => {
    const policy = ladder();
    const nanConf = policy.decide(alarm(-5, "lr_too_high", { confidence: Number.NaN }));
    expect(nanConf.decisions.map((d) => d.kind)).toEqual(["uncertain"]);
    const unknown = policy.decide(alarm(-4, "bit_flip", { confidence: 0.99 }));
    expect(unknown.decisions).toEqual([]); // same episode: already alerted
    const known = policy.decide(
      alarm(-3, "lr_too_high", { threshold: Number.NaN, onset: Number.NaN, checkpoints: [Number.NaN, -10] }),
    );
    expect(known.actions).toEqual([{ kind: "scale_lr", factor: 0.5 }]);
    const rank = policy.decide({ ...alarm(-2, "lr_too_high"), deviation: -3 });
    expect(rank.decisions).toEqual([]);
    for (const input of [
      null,
      undefined,
      42,
      "x",
      {},
      { run: "r" },
      { run: 7, step: 1 },
      { run: "r", step: Number.NaN },
    ]) {
      expect(policy.decide(input as never)).toEqual({ actions: [], recommendations: [], decisions: [] });
    }
  });

  it("never throws on arbitrary inputs, and keeps every number in the snapshot finite", () => {
    const num = fc.oneof(
      fc.double(),
      fc.integer({ min: -5, max: 60 }),
      fc.constant(Number.NaN),
      fc.constant(Number.POSITIVE_INFINITY),
    );
    const entry = fc.record({
      fault: fc.oneof(fc.constantFrom(...FAULT_IDS), fc.string()),
      family: fc.string(),
      confidence: num,
      onset: fc.oneof(num, fc.constant(null), fc.constant(undefined)),
    });
    const input = fc.record({
      run: fc.oneof(fc.constantFrom("a", "b"), fc.anything()),
      step: num,
      anomalous: fc.oneof(fc.boolean(), fc.anything()),
      diagnosis: fc.oneof(fc.array(entry, { maxLength: 3 }), fc.anything()),
      deviation: num,
      threshold: num,
      checkpoints: fc.oneof(fc.array(num, { maxLength: 4 }), fc.anything()),
    });
    fc.assert(
      fc.property(
        fc.array(input, { maxLength: 40 }),
        fc.constantFrom<"act" | "advise">("act", "advise"),
        (inputs, mode) => {
          const policy = ladder({ mode, cooldown: 1, budget: 4 });
          for (const x of inputs) {
            const out = policy.decide(x as never);
            for (const d of out.decisions) expect(typeof d.reason).toBe("string");
          }
          // A NaN or Infinity in the state would come back from JSON as null and break the equality.
          const snap = JSON.stringify(policy.snapshot());
          const again = RemediationPolicy.restore(JSON.parse(snap));
          expect(again.snapshot()).toEqual(policy.snapshot());
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe("docs/remediation.md worked example", () => {
  it("gives the decisions the document shows", () => {
    const policy = ladder();
    const at = (step: number, deviation: number) => ({ ...alarm(step, "lr_too_high", { deviation }), run: "r17" });
    const calm = (step: number, deviation: number) => ({ ...quiet(step, { deviation }), run: "r17" });
    const outs = play(policy, [
      at(42, 9.1),
      at(43, 9.4),
      at(44, 9.0),
      at(45, 9.3),
      at(46, 9.1),
      at(47, 7.2),
      calm(48, 4.2),
      calm(49, 3.0),
      calm(50, 1.4),
      calm(51, 1.2),
    ]);
    expect(outs.flatMap((o) => o.decisions.map((d) => [d.step, d.kind, d.reason]))).toEqual([
      [42, "act", "step 42: lr_too_high (0.81): level 0 adjust: scale_lr 0.5 (no reference for lr)"],
      [
        46,
        "escalate",
        "step 46: lr_too_high (0.81): deviation 9.1 still above 6 after 4 steps: escalate to level 1 rollback: rollback to 30 + scale_lr 0.5 (no reference for lr)",
      ],
      [
        49,
        "verified",
        "step 49: lr_too_high (0.81): deviation 3 below 6 on the last 2 steps: rollback to 30 + scale_lr 0.5 at step 46 verified; ladder stays at level 1",
      ],
      [51, "quiet", "step 51: quiet for 4 steps since the alarm at step 47: ladder back to level 0 (was level 1)"],
    ]);
    expect(policy.decide(at(52, 9)).actions).toEqual([{ kind: "scale_lr", factor: 0.5 }]);
    expect(policy.runState("r17")?.rounds).toBe(3);
  });
});

describe("confirmation before a fix", () => {
  it("a first alarm gives an alert; the fix comes once the same fault has led for confirmPoints alarmed points", () => {
    const policy = new RemediationPolicy({ reference: REFERENCE });
    const first = policy.decide(alarm(40, "lr_too_high", { history: 40 }));
    expect(first.actions.map((a) => a.kind)).toEqual(["alert"]);
    expect(first.decisions[0].reason).toMatch("1 of the 3 alarmed points");
    expect(policy.decide(alarm(41, "lr_too_high", { history: 41 })).actions).toEqual([]);
    const third = policy.decide(alarm(42, "lr_too_high", { history: 42 }));
    expect(third.actions.map((a) => a.kind)).toContain("scale_lr");
  });

  it("a change of the leading fault starts the count over", () => {
    const policy = new RemediationPolicy({ reference: REFERENCE });
    policy.decide(alarm(40, "lr_too_high", { history: 40 }));
    policy.decide(alarm(41, "lr_too_high", { history: 41 }));
    expect(policy.decide(alarm(42, "kl_penalty_off", { history: 42 })).actions).toEqual([]);
    expect(policy.decide(alarm(43, "kl_penalty_off", { history: 43 })).actions).toEqual([]);
    expect(policy.decide(alarm(44, "kl_penalty_off", { history: 44 })).actions.length).toBeGreaterThan(0);
  });

  it("a run with little history gets an alert only, however long the alarm lasts there", () => {
    const policy = new RemediationPolicy({ reference: REFERENCE, minHistory: 8 });
    const kinds = [3, 4, 5, 6, 7].flatMap((s) =>
      policy.decide(alarm(s, "nan_inf", { history: s, deviation: Infinity })).actions.map((a) => a.kind),
    );
    expect(kinds).toEqual(["alert"]);
    expect(
      policy.decide(alarm(8, "nan_inf", { history: 8, deviation: Infinity })).actions.map((a) => a.kind),
    ).toContain("rollback");
  });

  it("never rolls back or halts before confirmPoints alarmed points, for any fault (property)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...FAULT_IDS), fc.integer({ min: 1, max: 5 }), (fault, confirm) => {
        const policy = new RemediationPolicy({ reference: REFERENCE, confirmPoints: confirm });
        for (let i = 0; i < confirm - 1; i++) {
          const kinds = policy.decide(alarm(100 + i, fault, { history: 100 + i })).actions.map((a) => a.kind);
          expect(kinds.every((k) => k === "alert")).toBe(true);
        }
      }),
    );
  });
});
