import { describe, expect, it, vi } from "vitest";
import type { DiagnosisContext, FingerprintMatch } from "../../src/diagnosis/context.js";
import { DEFAULT_RULES, diagnose, diagnoseReport } from "../../src/diagnosis/diagnose.js";
import type { Rule } from "../../src/diagnosis/rule.js";
import { DEFAULT_RULES as CATALOGUE } from "../../src/diagnosis/rules.js";
import { FAULT_FAMILIES, FAULT_IDS, type FaultId } from "../../src/verdict/faults.js";
import { ctx, healthy, jump, mentions, series, stepOnly } from "./helpers.js";
import { SCENARIOS } from "./scenarios.js";

/** Fingerprint matches with the given confidences; the rest of the 16 share what is left. */
function prints(top: Partial<Record<FaultId, [similarity: number, confidence: number]>>): FingerprintMatch[] {
  const named = Object.entries(top) as [FaultId, [number, number]][];
  const left = 1 - named.reduce((s, [, [, c]]) => s + c, 0);
  const others = FAULT_IDS.filter((f) => !(f in top));
  return [
    ...named.map(([fault, [similarity, confidence]]) => ({
      fault,
      family: FAULT_FAMILIES[fault],
      similarity,
      confidence,
    })),
    ...others.map((fault) => ({
      fault,
      family: FAULT_FAMILIES[fault],
      similarity: 0.1,
      confidence: left / others.length,
    })),
  ].sort((a, b) => b.confidence - a.confidence);
}

describe("DEFAULT_RULES", () => {
  it("has one rule per fault of the taxonomy, with unique ids", () => {
    expect(CATALOGUE).toBe(DEFAULT_RULES);
    const covered = new Set(DEFAULT_RULES.flatMap((r) => [...r.faults]));
    expect([...covered].sort()).toEqual([...FAULT_IDS].sort());
    expect(new Set(DEFAULT_RULES.map((r) => r.id)).size).toBe(DEFAULT_RULES.length);
  });

  it("say nothing about a healthy run, with or without trajectory features", () => {
    expect(diagnose(ctx(healthy()))).toEqual([]);
    expect(diagnose(ctx(stepOnly()))).toEqual([]);
  });

  it("never throw on an empty context (no signals at all)", () => {
    const report = diagnoseReport(ctx({}));
    expect(report).toEqual({ diagnosis: [], failures: [] });
  });

  // Each crafted fault must come out on top: the rules tell the faults apart, not just detect them.
  it.each(FAULT_IDS)("ranks %s first on its own crafted context", (fault) => {
    const { diagnosis, failures } = diagnoseReport(ctx(SCENARIOS[fault]()));
    expect(failures).toEqual([]);
    expect(diagnosis[0]?.fault).toBe(fault);
    expect(diagnosis[0].family).toBe(FAULT_FAMILIES[fault]);
    expect(diagnosis[0].evidence.length).toBeGreaterThan(0);
    for (let i = 1; i < diagnosis.length; i++)
      expect(diagnosis[i].confidence).toBeLessThanOrEqual(diagnosis[i - 1].confidence);
  });
});

describe("diagnose merging", () => {
  it("takes the larger of rule and fingerprint confidence; evidence is rule lines, the fingerprint line, then top |z| signals", () => {
    const signals = { ...SCENARIOS.kl_penalty_off(), "kl_ref.p90": jump(0.03, 0.4, 7) };
    const c = ctx(signals, { fingerprints: prints({ kl_penalty_off: [0.91, 0.6], lr_too_high: [0.7, 0.3] }) });
    const rule = DEFAULT_RULES.find((r) => r.id === "kl_penalty_off")!.apply(c)!;
    const [top, second] = diagnose(c);
    expect(top.fault).toBe("kl_penalty_off");
    expect(top.family).toBe("optimization_dynamics");
    expect(top.confidence).toBeCloseTo(Math.max(rule.confidence, 0.6), 3);
    expect(top.evidence.slice(0, rule.evidence.length)).toEqual(rule.evidence);
    expect(top.evidence[rule.evidence.length]).toBe(
      "deviation pattern matches the kl_penalty_off fingerprint (similarity 0.91)",
    );
    // kl_ref.p90 is not named by the rule: it comes as a |z| line at the judged step.
    expect(top.evidence).toContain("kl_ref.p90 0.4 at step 17, +7.0σ from healthy");
    // kl_ref.mean is kl_ref's twin, already named by the rule: not repeated.
    expect(top.evidence.some((line) => line.startsWith("kl_ref.mean"))).toBe(false);
    // A fault only the fingerprints name keeps the fingerprint's confidence.
    expect(second.fault).toBe("lr_too_high");
    expect(second.confidence).toBe(0.3);
    expect(mentions(second, "lr_too_high fingerprint (similarity 0.70)")).toBe(true);
  });

  it("a strong fingerprint outranks a weak rule finding", () => {
    const weak = { ...healthy(), kl_ref: jump(0.01, 0.02, 4) };
    const rule = DEFAULT_RULES.find((r) => r.id === "kl_penalty_off")!.apply(ctx(weak))!;
    expect(rule.confidence).toBeLessThan(0.7);
    const d = diagnose(ctx(weak, { fingerprints: prints({ temperature_misconfigured: [0.95, 0.9] }) }));
    expect(d[0]).toMatchObject({ fault: "temperature_misconfigured", confidence: 0.9 });
    expect(d[0].evidence).toEqual([
      "deviation pattern matches the temperature_misconfigured fingerprint (similarity 0.95)",
    ]);
    expect(d[1].fault).toBe("kl_penalty_off");
  });

  it("leaves out near-zero fingerprint matches (minConfidence, 0.05 by default)", () => {
    const c = ctx(healthy(), { fingerprints: prints({ reward_noise: [0.5, 0.5] }) });
    expect(diagnose(c).map((d) => d.fault)).toEqual(["reward_noise"]);
    expect(diagnose(c, DEFAULT_RULES, { minConfidence: 0 })).toHaveLength(16);
  });

  it("breaks a confidence tie in favour of the fault that rules and fingerprints agree on", () => {
    const fixed = (id: string, fault: FaultId): Rule => ({
      id,
      faults: [fault],
      description: "",
      apply: () => ({ fault, confidence: 0.5, evidence: [id] }),
    });
    const c = ctx(healthy(), { fingerprints: prints({ worker_failure: [0.5, 0.2] }) });
    const d = diagnose(c, [fixed("a", "reward_noise"), fixed("b", "worker_failure")]);
    expect(d.map((x) => x.fault).slice(0, 2)).toEqual(["worker_failure", "reward_noise"]);
  });

  it("estimates an onset from the fault's signals for a fingerprint-only diagnosis, else uses the alarm step", () => {
    const drifting = {
      ...healthy(),
      "group.size_min": series([8, 8, 8, 5, 4, 3, 2, 2], [0, 0, 0, -4, -5, -6, -8, -8], 8),
    };
    const c = ctx(drifting, { fingerprints: prints({ group_misindexing: [0.8, 0.5], reward_noise: [0.3, 0.2] }) });
    const d = diagnose(c, []);
    expect(d.find((x) => x.fault === "group_misindexing")?.onset).toBe(13);
    expect(d.find((x) => x.fault === "reward_noise")?.onset).toBe(15);
  });
});

describe("diagnose robustness and extension", () => {
  const boom: Rule = {
    id: "boom",
    faults: ["nan_inf"],
    description: "always throws",
    apply() {
      throw new Error("kaboom");
    },
  };

  it("skips a throwing rule, reports it, and still diagnoses", () => {
    const onRuleError = vi.fn();
    const c = ctx(SCENARIOS.worker_failure());
    const report = diagnoseReport(c, [boom, ...DEFAULT_RULES], { onRuleError });
    expect(report.diagnosis[0].fault).toBe("worker_failure");
    expect(report.failures).toEqual([{ rule: "boom", message: "threw: kaboom" }]);
    expect(onRuleError).toHaveBeenCalledWith({ rule: "boom", message: "threw: kaboom" });
    expect(diagnose(c, [boom, ...DEFAULT_RULES])[0].fault).toBe("worker_failure");
  });

  it("rejects invalid findings (unknown fault, fault outside the rule's faults, NaN confidence) and clamps confidence", () => {
    const returning = (id: string, out: unknown): Rule => ({
      id,
      faults: ["tool_failure"],
      description: "",
      apply: () => out as never,
    });
    const report = diagnoseReport(ctx(healthy()), [
      returning("unknown", { fault: "cosmic_rays", confidence: 0.9, evidence: [] }),
      returning("outside", { fault: "nan_inf", confidence: 0.9, evidence: [] }),
      returning("nan", { fault: "tool_failure", confidence: NaN, evidence: [] }),
      returning("big", { fault: "tool_failure", confidence: 7, evidence: ["x", 3] }),
    ]);
    expect(report.failures.map((f) => f.rule)).toEqual(["unknown", "outside", "nan"]);
    expect(report.diagnosis).toEqual([
      { fault: "tool_failure", family: "tool_environment", confidence: 1, evidence: ["x"], onset: 15 },
    ]);
  });

  it("survives a context whose signal() throws and an error handler that throws", () => {
    const base = ctx(healthy(), { fingerprints: prints({ nan_inf: [0.9, 0.9] }) });
    const broken: DiagnosisContext = {
      ...base,
      signal: () => {
        throw new Error("no signals today");
      },
    };
    const report = diagnoseReport(broken, DEFAULT_RULES, {
      onRuleError: () => {
        throw new Error("handler");
      },
    });
    expect(report.failures.length).toBeGreaterThanOrEqual(DEFAULT_RULES.length);
    expect(report.diagnosis.map((d) => d.fault)).toEqual(["nan_inf"]);
  });

  it("lets users add their own rule to the defaults", () => {
    const stalled: Rule = {
      id: "my_stall",
      faults: ["worker_failure"],
      description: "step_time above 30 s",
      apply(c) {
        const t = c.signal("step_time");
        const i = t ? t.steps.indexOf(c.step) : -1;
        return t && i >= 0 && t.values[i] > 30
          ? {
              fault: "worker_failure",
              confidence: 0.99,
              evidence: [`step_time ${t.values[i]} s at step ${c.step}`],
              onset: 12,
            }
          : null;
      },
    };
    const c = ctx({ ...healthy(), step_time: jump(3, 45, 2) });
    expect(diagnose(c)).toEqual([]);
    const [d] = diagnose(c, [...DEFAULT_RULES, stalled]);
    expect(d).toMatchObject({ fault: "worker_failure", family: "tool_environment", confidence: 0.99, onset: 12 });
    expect(d.evidence[0]).toBe("step_time 45 s at step 17");
  });
});
