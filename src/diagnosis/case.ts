/**
 * The working notes of one rule on one context: the evidence lines it has
 * gathered and the signals it implicated, turned into a Finding at the end.
 * Keeps the rules themselves down to their conditions and confidence mapping.
 */
import type { FaultId } from "../verdict/faults.js";
import { clampConfidence } from "./confidence.js";
import type { DiagnosisContext, SignalTrace } from "./context.js";
import { evidenceLine } from "./format.js";
import { estimateOnset } from "./onset.js";
import type { Finding } from "./rule.js";
import type { Move } from "./trace.js";

export class Case {
  readonly evidence: string[] = [];
  readonly implicated: SignalTrace[] = [];

  constructor(
    readonly ctx: DiagnosisContext,
    readonly fault: FaultId,
  ) {}

  /** Records a move as evidence ("kl_ref 0.41 at step 17, +14.2σ from healthy (note)"); returns whether there was one. */
  move(m: Move | undefined, note?: string): m is Move {
    if (!m) return false;
    this.evidence.push(evidenceLine(m.trace, m.point, note));
    this.implicate(m.trace);
    return true;
  }

  /** Records a free-form evidence line, implicating `trace` for the onset estimate. */
  line(text: string, trace?: SignalTrace): void {
    this.evidence.push(text);
    if (trace) this.implicate(trace);
  }

  private implicate(trace: SignalTrace): void {
    if (!this.implicated.includes(trace)) this.implicated.push(trace);
  }

  /** The finding: confidence clamped to [0, 0.97]; onset given, or estimated from the implicated signals. */
  finish(confidence: number, onset?: number): Finding {
    const finding: Finding = {
      fault: this.fault,
      confidence: clampConfidence(confidence),
      evidence: [...this.evidence],
    };
    const at = onset ?? estimateOnset(this.ctx, this.implicated);
    if (at !== undefined) finding.onset = at;
    return finding;
  }
}
