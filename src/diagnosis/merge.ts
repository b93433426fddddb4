/**
 * Merging rule findings with fingerprint matches into the ranked diagnosis
 * of verdicts.md.
 *
 * Confidence of a fault: the larger of its best rule finding and its
 * fingerprint match (rounded to 3 decimals). Both read the same telemetry, so they are not
 * independent witnesses and adding them up (noisy-OR) would count the same
 * evidence twice; agreement instead breaks ties (rank by max, then by the
 * sum). A fault only a fingerprint names keeps the fingerprint's confidence.
 *
 * Evidence of a fault: the rules' lines (best finding first, duplicates
 * dropped), then the fingerprint line, then up to three of the fault's
 * signals (signals.ts FAULT_SIGNALS; the step's anomalous signals when none
 * of those is out of band) with the largest |z| at the judged step that the
 * lines above do not already name.
 *
 * Onset: the best finding's onset (the first finding that has one), else the
 * estimate from the signals named by the |z| lines (onset.ts), else the alarm
 * step.
 */
import { FAULT_FAMILIES, FAULT_IDS, type FaultId, isFaultId } from "../verdict/faults.js";
import type { Diagnosis } from "../verdict/types.js";
import { BAND } from "./confidence.js";
import type { DiagnosisContext, FingerprintMatch, SignalTrace } from "./context.js";
import { evidenceLine } from "./format.js";
import { estimateOnset } from "./onset.js";
import type { Finding } from "./rule.js";
import { FAULT_SIGNALS, SIGNALS } from "./signals.js";
import { at, type Point } from "./trace.js";

/** Most |z| lines added to a diagnosis. */
export const TOP_SIGNALS = 3;

/** Diagnoses below this confidence are left out (the 16 fingerprint posteriors include many near 0). */
export const MIN_CONFIDENCE = 0.05;

export interface MergeOptions {
  minConfidence?: number;
  /** Called when reading the context fails while merging (a broken `signal`); the merge goes on without it. */
  onError?: (error: unknown) => void;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether an evidence line already names the signal (as a whole word: "kl_ref" is not "kl_ref.p90"). */
function named(evidence: readonly string[], name: string): boolean {
  const re = new RegExp(`(^|[\\s(,])${escapeRegExp(name)}($|[\\s),:])`);
  return evidence.some((line) => re.test(line));
}

/** A signal and its twins (the step metric and the feature that say the same thing, signals.ts SIGNALS). */
function twins(name: string): readonly string[] {
  return Object.values(SIGNALS).find((group: readonly string[]) => group.includes(name)) ?? [name];
}

/** The signals with the largest |z| at the judged step among `names`, out of band and not already named (nor their twins). */
function topSignals(
  ctx: DiagnosisContext,
  names: readonly string[],
  evidence: readonly string[],
): { trace: SignalTrace; p: Point }[] {
  const candidates: { trace: SignalTrace; p: Point }[] = [];
  for (const name of new Set(names)) {
    if (twins(name).some((n) => named(evidence, n))) continue;
    const trace = ctx.signal(name);
    const p = trace ? at(trace, ctx.step) : undefined;
    if (!trace || !p || !Number.isFinite(p.value) || !Number.isFinite(p.z) || Math.abs(p.z) <= BAND) continue;
    candidates.push({ trace, p });
  }
  candidates.sort((a, b) => Math.abs(b.p.z) - Math.abs(a.p.z));
  const chosen: { trace: SignalTrace; p: Point }[] = [];
  for (const c of candidates) {
    if (chosen.length >= TOP_SIGNALS) break;
    if (chosen.some((x) => twins(x.trace.name).includes(c.trace.name))) continue;
    chosen.push(c);
  }
  return chosen;
}

function safely<T>(run: () => T, fallback: T, onError?: (error: unknown) => void): T {
  try {
    return run();
  } catch (error) {
    try {
      onError?.(error);
    } catch {
      // A failing error handler must not break the diagnosis either.
    }
    return fallback;
  }
}

export function mergeDiagnoses(
  ctx: DiagnosisContext,
  findings: readonly Finding[],
  fingerprints: readonly FingerprintMatch[],
  options: MergeOptions = {},
): Diagnosis[] {
  const minConfidence = options.minConfidence ?? MIN_CONFIDENCE;
  const byFault = new Map<FaultId, Finding[]>();
  for (const f of findings) {
    const list = byFault.get(f.fault) ?? [];
    list.push(f);
    byFault.set(f.fault, list);
  }
  const prints = new Map<FaultId, FingerprintMatch>();
  for (const m of fingerprints) {
    if (!m || !isFaultId(m.fault) || !Number.isFinite(m.confidence) || prints.has(m.fault)) continue;
    // A fingerprint the deviation shares no direction with (cosine <= 0: an empty or opposite
    // deviation) is no match: a softmax over 16 zero similarities would name every fault at 1/16.
    if (!(m.similarity > 0)) continue;
    prints.set(m.fault, m);
  }

  const ranked: { d: Diagnosis; sum: number }[] = [];
  for (const fault of FAULT_IDS) {
    const found = (byFault.get(fault) ?? []).sort((a, b) => b.confidence - a.confidence);
    const print = prints.get(fault);
    if (found.length === 0 && !print) continue;
    const ruleConfidence = found[0]?.confidence ?? 0;
    const printConfidence = print ? Math.max(0, Math.min(1, print.confidence)) : 0;
    const confidence = Math.max(ruleConfidence, printConfidence);
    if (!(confidence >= minConfidence)) continue;

    const evidence: string[] = [];
    for (const f of found) for (const line of f.evidence) if (!evidence.includes(line)) evidence.push(line);
    if (print && Number.isFinite(print.similarity)) {
      evidence.push(`deviation pattern matches the ${fault} fingerprint (similarity ${print.similarity.toFixed(2)})`);
    }
    const top = safely(
      () => {
        const own = topSignals(ctx, FAULT_SIGNALS[fault], evidence);
        return own.length > 0
          ? own
          : topSignals(
              ctx,
              ctx.anomalies.map((a) => a.signal),
              evidence,
            );
      },
      [],
      options.onError,
    );
    for (const { trace, p } of top) evidence.push(evidenceLine(trace, p));

    const ruleOnset = found.find((f) => f.onset !== undefined)?.onset;
    const onset =
      ruleOnset ??
      safely(
        () =>
          estimateOnset(
            ctx,
            top.map((t) => t.trace),
          ),
        undefined,
        options.onError,
      ) ??
      ctx.alarmStep;
    const rounded = Math.round(confidence * 1000) / 1000;
    ranked.push({
      d: { fault, family: FAULT_FAMILIES[fault], confidence: rounded, evidence, onset },
      sum: ruleConfidence + printConfidence,
    });
  }
  // Stable sort: equal confidence and agreement keep taxonomy order.
  ranked.sort((a, b) => b.d.confidence - a.d.confidence || b.sum - a.sum);
  return ranked.map((r) => r.d);
}
