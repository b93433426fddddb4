import { describe, expect, it } from "vitest";
import { seededRandom } from "../../bench/random.js";
import { INVARIANTS } from "../../src/detect/invariants.js";
import { trendCodes } from "../../src/detect/kinds.js";
import { type Detection, detect, newDetectState } from "../../src/detect/stage.js";
import { Monitor } from "../../src/index.js";
import { defaultFingerprintSet } from "../../src/monitor/fingerprint-set.js";
import { backends } from "../kernels/backends.js";

type Series = Record<string, (t: number) => number>;

/** Runs the detect stage over `steps` points of the given signals; returns each point's detection. */
function judge(kernels: (typeof backends)[number], series: Series, steps: number, rows = 64): Detection[] {
  const signals = Object.keys(series);
  const state = newDetectState(signals.length);
  const codes = trendCodes(signals);
  return Array.from({ length: steps }, (_, t) =>
    detect(kernels, state, {
      signals,
      codes,
      values: Float64Array.from(signals, (s) => series[s](t)),
      present: new Uint8Array(signals.length).fill(1),
      size: { rows, groups: rows / 8, toolCalls: NaN },
    }),
  );
}

const firstAlarm = (ds: Detection[], detector: string) =>
  ds.findIndex((d) => d.anomalies.some((a) => a.detector === detector));

describe.each(backends.map((k) => [k.name, k] as const))("invariants (%s)", (_name, k) => {
  const rand = seededRandom(3);
  const noisy = (level: number, spread: number) => () => level * (1 + spread * (rand.uniform() - 0.5));

  // Each invariant: a series that breaks it from point 20, and the point its alarm must stand at.
  const broken: [string, Series, number][] = [
    ["grad_norm_blowup", { grad_norm: (t) => (t >= 20 ? 50 : noisy(1, 0.4)()) }, 21],
    ["entropy_collapse", { entropy: (t) => (t >= 20 ? 0.05 : noisy(1, 0.1)()) }, 22],
    ["length_collapse", { response_length_mean: (t) => (t >= 20 ? 3 : noisy(300, 0.1)()) }, 22],
    ["kl_blowup", { kl_ref: (t) => (t >= 20 ? 2 : 0.001 * (1 + t / 10)) }, 22],
    ["length_pinned", { truncation_rate: (t) => (t >= 20 ? 0.97 : 0.02) }, 24],
    ["zero_variance", { "group.zero_var_share": (t) => (t >= 20 ? 0.95 : noisy(0.2, 0.5)()) }, 24],
    ["trajectories_drop", { num_trajectories: (t) => (t >= 20 ? 40 : 64) }, 21],
    ["reward_collapse", { reward_mean: (t) => (t < 20 ? 0.1 + 0.03 * t : 0.05) }, 24],
    [
      "advantages_not_centred",
      { "group.adv_center_abs_mean": (t) => (t >= 20 ? 0.5 : 1e-9), "advantage.std": () => 1 },
      22,
    ],
    ["advantage_sign_flipped", { "corr.advantage_reward": (t) => (t >= 20 ? -0.9 : 0.8) }, 22],
    ["logprob_gap", { "logprob_gap.mean": (t) => (t >= 20 ? 0.5 : 0.01) }, 22],
    ["groups_mix_prompts", { "group.prompt_mismatch_share": (t) => (t >= 20 ? 0.25 : 0) }, 21],
    [
      "length_cap_binding",
      {
        "trunc.reward_gap": (t) => (t >= 20 ? 0.6 : 0.05),
        "rate.truncation": (t) => (t >= 20 ? 0.25 : 0.02),
        "reward.std": () => 0.45,
      },
      // The share truncated is read as its 5-point median: over 0.1 from point 22.
      24,
    ],
  ];

  it("lists every invariant in these tests", () => {
    expect(broken.map(([id]) => id).sort()).toEqual(INVARIANTS.map((i) => i.id).sort());
  });

  it.each(broken)("%s: broken from point 20, an alarm once it persisted, with its reason", (id, series, at) => {
    const ds = judge(k, series, 40);
    expect(firstAlarm(ds, `invariant:${id}`)).toBe(at);
    const a = ds[at].anomalies.find((x) => x.detector === `invariant:${id}`)!;
    expect(a.reason).toMatch(new RegExp(`^${id}: .*, for \\d+ points$`));
  });

  it.each(broken)("%s: held for fewer points than its persistence, no alarm", (id, series) => {
    const inv = INVARIANTS.find((i) => i.id === id)!;
    // The breach lasts persistence - 1 points, then the last healthy value returns.
    const end = 20 + inv.persistence - 1;
    const brief: Series = Object.fromEntries(
      Object.entries(series).map(([name, f]) => [name, (t: number) => f(t >= end ? 19 : t)]),
    );
    expect(firstAlarm(judge(k, brief, 40), `invariant:${id}`)).toBe(-1);
  });

  it("non-finite values: a single one is a note, two in a row an alarm", () => {
    const once = judge(k, { loss: (t) => (t === 10 ? NaN : 1) }, 20);
    expect(once.some((d) => d.anomalies.length > 0)).toBe(false);
    expect(once[10].notes).toMatchObject([{ signal: "loss", kind: "nonfinite" }]);
    const twice = judge(k, { loss: (t) => (t === 10 || t === 11 ? Infinity : 1) }, 20);
    expect(firstAlarm(twice, "nonfinite")).toBe(11);
  });

  it("healthy wander is no alarm: rising reward, falling entropy, drifting KL and length, bimodal grad norms with exact zeros", () => {
    const ds = judge(
      k,
      {
        reward_mean: (t) => 0.2 + 0.6 * (1 - Math.exp(-t / 40)) + 0.1 * (rand.uniform() - 0.5),
        entropy: (t) => 1.2 * Math.exp(-t / 150) * (1 + 0.1 * (rand.uniform() - 0.5)),
        kl_ref: (t) => (t === 0 ? 0 : 0.0005 * t * (1 + 0.3 * rand.uniform())),
        response_length_mean: (t) => 200 + t + 20 * rand.uniform(),
        grad_norm: () => (rand.uniform() < 0.3 ? 0 : 0.5 + rand.uniform()),
        truncation_rate: () => 0.9 + 0.1 * rand.uniform(),
        step_time: (t) => (t % 50 === 49 ? 34 : 10 + rand.uniform()),
      },
      200,
    );
    expect(ds.flatMap((d) => d.anomalies)).toEqual([]);
  });
});

describe.each(backends.map((k) => [k.name, k] as const))(
  "groups that mix prompts, from the tensor (%s)",
  (_name, k) => {
    const GROUPS = 8;
    const SIZE = 4;
    const MIXED = "invariant:groups_mix_prompts";

    /**
     * One GRPO step: GROUPS prompts (stable ids, new ones each step) of SIZE samples,
     * binary rewards, advantages centred on the pipeline's groups. `misindex`: the
     * share of samples given a random group id (faultbench group_misindexing).
     */
    function stepTensor(step: number, rand: ReturnType<typeof seededRandom>, misindex: number, prompts: boolean) {
      const truth = Array.from({ length: GROUPS * SIZE }, (_, i) => Math.floor(i / SIZE));
      const group = truth.map((g) => (rand.uniform() < misindex ? Math.floor(rand.uniform() * GROUPS) : g));
      const reward = truth.map(() => (rand.uniform() < 0.5 ? 1 : 0));
      const members = new Map<number, number[]>();
      group.forEach((g, i) => {
        members.set(g, [...(members.get(g) ?? []), reward[i]]);
      });
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const advantage = group.map((g, i) => reward[i] - mean(members.get(g) ?? []));
      const columns: Record<string, number[]> = { group, reward, advantage };
      if (prompts) columns.prompt_id = truth.map((g) => step * GROUPS + g);
      return { run: "r", step, trajectories: columns };
    }

    function run(misindex: number, prompts: boolean, steps = 30) {
      const rand = seededRandom(11);
      const monitor = new Monitor({ kernels: k, prior: false, policy: false });
      try {
        const verdicts = Array.from({ length: steps }, (_, t) =>
          monitor.observe(stepTensor(t, rand, misindex, prompts)),
        );
        expect(verdicts.flatMap((v) => v.errors ?? [])).toEqual([]);
        return verdicts;
      } finally {
        monitor.close();
      }
    }

    it("misindexed from step 0: an alarm at the second logged point, diagnosed group_misindexing", () => {
      const verdicts = run(0.3, true);
      const first = verdicts.findIndex((v) => v.anomalies.some((a) => a.detector === MIXED));
      expect(first).toBe(1);
      const alarm = verdicts[first].anomalies.find((a) => a.detector === MIXED)!;
      expect(alarm.signal).toBe("group.prompt_mismatch_share");
      expect(alarm.score).toBeGreaterThan(0);
      expect(verdicts[first].diagnosis[0]?.fault).toBe("group_misindexing");
      expect(verdicts[first].diagnosis[0]?.evidence[0]).toMatch(/more than one prompt_id/);
    });

    it("a checkpoint saved between logged steps is no non-finite data: misindexed from step 0, diagnosed group_misindexing, never nan_inf", () => {
      // Metrics and the tensor every 2nd step, a checkpoint at step 3 between them (faultbench
      // setup d): the monitor judges step 3 with no signal. Read as NaN data in the episode
      // (early, where no z is known yet), it was diagnosed nan_inf at 0.97, ahead of the real fault.
      const rand = seededRandom(11);
      const monitor = new Monitor({ kernels: k, prior: false, policy: false });
      const verdicts = [0, 2, 3, 4, 6].map((t) =>
        t === 3
          ? monitor.observe({ run: "r", step: 3, events: [{ name: "checkpoint", step: 3 }] })
          : monitor.observe({ ...stepTensor(t, rand, 0.3, true), metrics: { loss: 0.1, grad_norm: 1 } }),
      );
      monitor.close();
      expect(verdicts.flatMap((v) => v.errors ?? [])).toEqual([]);
      expect(verdicts.find((v) => v.anomalous)?.step).toBe(2);
      for (const v of verdicts.slice(2)) expect(v.diagnosis.map((d) => d.fault)).not.toContain("nan_inf");
      expect(verdicts[4].diagnosis[0]?.fault).toBe("group_misindexing");
    });

    it("every group one prompt: no alarm", () => {
      expect(run(0, true).flatMap((v) => v.anomalies)).toEqual([]);
    });

    it("no prompt_id column: nothing to judge, even when groups are misindexed", () => {
      const verdicts = run(0.3, false);
      expect(verdicts.flatMap((v) => v.anomalies).filter((a) => a.detector === MIXED)).toEqual([]);
      expect(run(0, false).flatMap((v) => v.anomalies)).toEqual([]);
    });
  },
);

describe("fingerprints rank faults once an alarm stands; they never raise one", () => {
  it("a fingerprint that matches a healthy run's deviation pattern exactly raises nothing", () => {
    const set = defaultFingerprintSet();
    // Every fingerprint centred on zero deviation: a healthy run matches all of them perfectly.
    const matching = {
      ...set,
      fingerprints: set.fingerprints.map((f) => ({ ...f, centroid: f.centroid.map(() => 0) })),
    };
    const monitor = new Monitor({ fingerprints: matching, prior: false });
    const verdicts = Array.from({ length: 40 }, (_, t) =>
      monitor.observe({ run: "r", step: t, metrics: { reward_mean: 0.5 + 0.005 * t, grad_norm: 1, entropy: 0.8 } }),
    );
    expect(verdicts.filter((v) => v.anomalous)).toEqual([]);
    expect(verdicts.flatMap((v) => v.diagnosis)).toEqual([]);
  });
});
