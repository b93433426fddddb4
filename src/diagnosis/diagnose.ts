/**
 * diagnose(): runs the rules on a context and merges their findings with the
 * context's fingerprint matches (merge.ts) into the ranked diagnosis of
 * docs/spec/verdicts.md.
 *
 * It runs inside the monitor, inside the trainer's loop, so it never throws:
 * a rule that throws, or returns something that is not a valid finding (an
 * unknown fault, a fault outside the rule's `faults`, a non-numeric
 * confidence), is skipped and reported as a RuleFailure, through
 * `options.onRuleError` and in `diagnoseReport(...).failures`. A confidence
 * outside 0..1 is clamped; non-string evidence lines are dropped.
 */
import { isFaultId } from "../verdict/faults.js";
import type { Diagnosis } from "../verdict/types.js";
import type { DiagnosisContext } from "./context.js";
import { type MergeOptions, mergeDiagnoses } from "./merge.js";
import type { Finding, Rule } from "./rule.js";
import { DEFAULT_RULES } from "./rules.js";

export { DEFAULT_RULES };

/** A rule that threw or returned an invalid finding (`rule` is its id, or "diagnose" for the merge itself). */
export interface RuleFailure {
  rule: string;
  message: string;
}

export interface DiagnoseOptions {
  /** Diagnoses below this confidence are left out (default 0.05). */
  minConfidence?: number;
  /** Told about each failure as it happens (e.g. to log it); its own errors are ignored. */
  onRuleError?: (failure: RuleFailure) => void;
}

export interface DiagnosisReport {
  diagnosis: Diagnosis[];
  /** Rules skipped on this context, and why. */
  failures: RuleFailure[];
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Checks a rule's output; returns the clean finding or the reason it is rejected. */
function validate(rule: Rule, out: unknown): Finding | string | null {
  if (out === null || out === undefined) return null;
  if (typeof out !== "object") return `returned ${typeof out}, not a finding`;
  const f = out as Partial<Finding>;
  if (!isFaultId(f.fault)) return `returned unknown fault ${JSON.stringify(f.fault)}`;
  if (Array.isArray(rule.faults) && !rule.faults.includes(f.fault)) return `returned ${f.fault}, not one of its faults`;
  if (typeof f.confidence !== "number" || Number.isNaN(f.confidence))
    return `returned a non-numeric confidence for ${f.fault}`;
  const finding: Finding = {
    fault: f.fault,
    confidence: Math.max(0, Math.min(1, f.confidence)),
    evidence: Array.isArray(f.evidence) ? f.evidence.filter((e): e is string => typeof e === "string") : [],
  };
  if (typeof f.onset === "number" && Number.isFinite(f.onset)) finding.onset = f.onset;
  return finding;
}

/** The diagnosis with the failures that happened on the way. */
export function diagnoseReport(
  ctx: DiagnosisContext,
  rules: readonly Rule[] = DEFAULT_RULES,
  options: DiagnoseOptions = {},
): DiagnosisReport {
  const failures: RuleFailure[] = [];
  const fail = (rule: string, message: string) => {
    const failure = { rule, message };
    failures.push(failure);
    try {
      options.onRuleError?.(failure);
    } catch {
      // The caller's handler must not break the diagnosis.
    }
  };
  const findings: Finding[] = [];
  const list = Array.isArray(rules) ? rules : DEFAULT_RULES;
  list.forEach((rule, i) => {
    const id = typeof rule?.id === "string" ? rule.id : `rules[${i}]`;
    try {
      const checked = validate(rule, rule.apply(ctx));
      if (typeof checked === "string") fail(id, checked);
      else if (checked) findings.push(checked);
    } catch (error) {
      fail(id, `threw: ${messageOf(error)}`);
    }
  });
  let fingerprints: DiagnosisContext["fingerprints"] = [];
  try {
    fingerprints = Array.isArray(ctx.fingerprints) ? ctx.fingerprints : [];
  } catch (error) {
    fail("diagnose", `reading fingerprints threw: ${messageOf(error)}`);
  }
  const merge: MergeOptions = {
    onError: (error) => fail("diagnose", `reading the context threw: ${messageOf(error)}`),
  };
  if (options.minConfidence !== undefined) merge.minConfidence = options.minConfidence;
  let diagnosis: Diagnosis[] = [];
  try {
    diagnosis = mergeDiagnoses(ctx, findings, fingerprints, merge);
  } catch (error) {
    fail("diagnose", `merge threw: ${messageOf(error)}`);
  }
  return { diagnosis, failures };
}

/** The ranked diagnosis, best first. Never throws; see diagnoseReport for the failures. */
export function diagnose(
  ctx: DiagnosisContext,
  rules: readonly Rule[] = DEFAULT_RULES,
  options: DiagnoseOptions = {},
): Diagnosis[] {
  return diagnoseReport(ctx, rules, options).diagnosis;
}
