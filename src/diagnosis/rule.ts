/**
 * A diagnosis rule: a small, readable statement of how one fault shows in the
 * telemetry. Rules complement the learned fingerprints: a fingerprint says
 * which fault the whole deviation vector looks like; a rule checks the few
 * signals that a fault must move and says, in words, which ones did.
 */
import type { FaultId } from "../verdict/faults.js";
import type { DiagnosisContext } from "./context.js";

/** What a rule concluded. */
export interface Finding {
  fault: FaultId;
  /** 0..1, growing with the strength of the evidence (each rule documents its mapping). */
  confidence: number;
  /** Human-readable lines naming the signals, values and steps that support it. */
  evidence: string[];
  /** Estimated first step of the fault; diagnose() estimates one when absent. */
  onset?: number;
}

export interface Rule {
  /** Unique name, used when a rule fails. */
  readonly id: string;
  /** The faults this rule can report (a finding for any other fault is rejected). */
  readonly faults: readonly FaultId[];
  readonly description: string;
  /** A finding when the rule's evidence holds, else null. May throw: diagnose() isolates it. */
  apply(ctx: DiagnosisContext): Finding | null;
}
