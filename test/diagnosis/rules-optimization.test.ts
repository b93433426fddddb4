import { describe, expect, it } from "vitest";
import { gradientExplosionRule, klPenaltyOffRule, lrTooHighRule, nanInfRule } from "../../src/diagnosis/rules.js";
import { always, ctx, flat, healthy, jump, mentions, noZ, series, stepOnly } from "./helpers.js";
import { SCENARIOS } from "./scenarios.js";

const I = Infinity;

describe("nan_inf rule", () => {
  it("fires on a NaN gradient norm and loss, naming the signal and the step, onset at the first NaN", () => {
    const f = nanInfRule.apply(ctx(SCENARIOS.nan_inf()));
    expect(f?.fault).toBe("nan_inf");
    expect(f!.confidence).toBeGreaterThanOrEqual(0.9);
    expect(mentions(f, "grad_norm is NaN at step 15")).toBe(true);
    expect(mentions(f, "nonfinite 40 at step 15")).toBe(true);
    expect(f!.onset).toBe(15);
  });

  it("fires on non-finite tensor cells alone, with less confidence than a NaN loss", () => {
    const cells = nanInfRule.apply(ctx({ ...healthy(), nonfinite: jump(0, 12, I) }));
    expect(cells?.fault).toBe("nan_inf");
    expect(mentions(cells, "nonfinite 12 at step 15")).toBe(true);
    expect(cells!.confidence).toBeLessThan(nanInfRule.apply(ctx(SCENARIOS.nan_inf()))!.confidence);
  });

  it("fires on an infinite loss in a hand-built context without z", () => {
    const f = nanInfRule.apply(ctx({ loss: noZ([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, Infinity, 0.1], 0.1) }));
    expect(mentions(f, "loss is Infinity at step 16")).toBe(true);
  });

  it("does not fire on finite values, nor on a NaN the monitor marks as not reported (z NaN)", () => {
    expect(nanInfRule.apply(ctx(healthy()))).toBeNull();
    const missing = series([0.5, 0.5, 0.5, 0.5, 0.5, NaN, 0.5, 0.5], [0, 0, 0, 0, 0, NaN, 0, 0]);
    expect(nanInfRule.apply(ctx({ ...healthy(), grad_norm: missing }))).toBeNull();
  });
});

describe("gradient_explosion rule", () => {
  it("fires on a grad_norm spike of orders of magnitude, naming value, step and ratio", () => {
    const f = gradientExplosionRule.apply(ctx(SCENARIOS.gradient_explosion()));
    expect(f?.fault).toBe("gradient_explosion");
    expect(mentions(f, "grad_norm 500 at step 15", "+40.0σ", "x1000")).toBe(true);
    expect(f!.confidence).toBeGreaterThan(0.85);
    expect(f!.onset).toBe(15);
  });

  it("grows with the spike", () => {
    const at = (v: number, z: number) =>
      gradientExplosionRule.apply(
        ctx({ ...healthy(), grad_norm: series([0.5, 0.5, 0.5, 0.5, 0.5, v, 0.5, 0.5], [0, 0, 0, 0, 0, z, 0, 0], 0.5) }),
      )!.confidence;
    expect(at(50, 12)).toBeLessThan(at(500, 40));
  });

  it("judges by the ratio to healthy when no z is known", () => {
    const f = gradientExplosionRule.apply(ctx({ grad_norm: noZ([0.5, 0.5, 0.5, 0.5, 0.5, 80, 0.5, 0.5], 0.5) }));
    expect(mentions(f, "grad_norm 80 at step 15", "x160")).toBe(true);
  });

  it("does not fire on a modest rise, nor when values are non-finite (nan_inf's)", () => {
    expect(gradientExplosionRule.apply(ctx({ ...healthy(), grad_norm: jump(0.5, 0.9, 4) }))).toBeNull();
    expect(
      gradientExplosionRule.apply(ctx({ ...SCENARIOS.gradient_explosion(), nonfinite: jump(0, 3, I) })),
    ).toBeNull();
  });
});

describe("lr_too_high rule", () => {
  it("fires on a learning rate far above healthy, naming the factor", () => {
    const f = lrTooHighRule.apply(ctx(SCENARIOS.lr_too_high()));
    expect(f?.fault).toBe("lr_too_high");
    expect(f!.confidence).toBeGreaterThan(0.9);
    expect(mentions(f, "lr 4e-5 at step", "+60.0σ", "x40 the healthy 1e-6")).toBe(true);
    expect(mentions(f, "ppo_kl")).toBe(true);
  });

  it("fires without lr from grad_norm, ppo_kl, clip_frac and kl_ref up together from the start, with less confidence", () => {
    const { lr: _lr, ...signals } = SCENARIOS.lr_too_high();
    const f = lrTooHighRule.apply(ctx(signals));
    expect(f?.fault).toBe("lr_too_high");
    expect(mentions(f, "off from the first step seen")).toBe(true);
    expect(f!.confidence).toBeLessThan(lrTooHighRule.apply(ctx(SCENARIOS.lr_too_high()))!.confidence);
    // A logged lr at its healthy value weakens the indirect evidence.
    const healthyLr = lrTooHighRule.apply(ctx({ ...signals, lr: flat(1e-6) }));
    expect(healthyLr!.confidence).toBeLessThan(f!.confidence);
  });

  it("does not fire on one signal up alone or on a healthy run", () => {
    expect(lrTooHighRule.apply(ctx(healthy()))).toBeNull();
    expect(lrTooHighRule.apply(ctx({ ...healthy(), grad_norm: jump(0.5, 5, 9) }))).toBeNull();
  });

  it("works on step-only logs", () => {
    const f = lrTooHighRule.apply(ctx({ ...stepOnly(), lr: always(1e-5, 20, 1e-6) }));
    expect(f?.fault).toBe("lr_too_high");
  });
});

describe("kl_penalty_off rule", () => {
  it("fires on kl_ref climbing with entropy falling and lr normal; onset where kl_ref left the band", () => {
    const f = klPenaltyOffRule.apply(ctx(SCENARIOS.kl_penalty_off()));
    expect(f?.fault).toBe("kl_penalty_off");
    expect(mentions(f, "kl_ref 0.15 at step 17, +13.0σ from healthy")).toBe(true);
    expect(mentions(f, "entropy", "entropy falling")).toBe(true);
    expect(f!.onset).toBe(14);
  });

  it("does not fire when the learning rate is raised (lr_too_high) or KL is healthy", () => {
    expect(klPenaltyOffRule.apply(ctx({ ...SCENARIOS.kl_penalty_off(), lr: always(4e-5, 60, 1e-6) }))).toBeNull();
    expect(klPenaltyOffRule.apply(ctx(healthy()))).toBeNull();
  });
});
