/**
 * The rule catalogue: one rule per fault of the taxonomy
 * (docs/spec/faults.md), each in its family's module under rules/.
 * docs/diagnosis.md tabulates them. Users extend the catalogue by
 * concatenation: `diagnose(ctx, [...DEFAULT_RULES, myRule])`.
 */
import type { Rule } from "./rule.js";
import { advantageMisnormalizationRule, difficultySkewRule, groupMisindexingRule } from "./rules/credit.js";
import { gradientExplosionRule, klPenaltyOffRule, lrTooHighRule, nanInfRule } from "./rules/optimization.js";
import { lengthTruncationRule, rolloutPolicyMismatchRule, temperatureMisconfiguredRule } from "./rules/policy.js";
import { rewardHackingRule, rewardNoiseRule, rewardParseFailureRule } from "./rules/reward.js";
import { observationCorruptionRule, toolFailureRule, workerFailureRule } from "./rules/tool.js";

export type { Finding, Rule } from "./rule.js";
export {
  advantageMisnormalizationRule,
  difficultySkewRule,
  gradientExplosionRule,
  groupMisindexingRule,
  klPenaltyOffRule,
  lengthTruncationRule,
  lrTooHighRule,
  nanInfRule,
  observationCorruptionRule,
  rewardHackingRule,
  rewardNoiseRule,
  rewardParseFailureRule,
  rolloutPolicyMismatchRule,
  temperatureMisconfiguredRule,
  toolFailureRule,
  workerFailureRule,
};

/** The built-in rules, in taxonomy order (faults.md). */
export const DEFAULT_RULES: readonly Rule[] = Object.freeze([
  rewardNoiseRule,
  rewardHackingRule,
  rewardParseFailureRule,
  temperatureMisconfiguredRule,
  lengthTruncationRule,
  rolloutPolicyMismatchRule,
  lrTooHighRule,
  klPenaltyOffRule,
  gradientExplosionRule,
  nanInfRule,
  groupMisindexingRule,
  advantageMisnormalizationRule,
  difficultySkewRule,
  toolFailureRule,
  observationCorruptionRule,
  workerFailureRule,
]);
