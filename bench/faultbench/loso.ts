/**
 * Leave-one-setup-out evaluation (issue 11 item 4): for each setup S of a
 * multi-setup corpus, fingerprints are learnt from the other setups' runs only
 * (every split: S's runs are never read while learning), then S's runs are
 * judged twice with them:
 *
 * 1. **zero-shot**: no healthy prior, as on a setup the library has never seen;
 * 2. **calibrated**: a calibration learnt from S's first `calibrationRuns`
 *    healthy runs (run ids in code-unit order: deterministic; with faultbench
 *    generate's ids, the first healthy runs of S's first corpus seed), and the
 *    rest of S's runs judged with it;
 *    the calibration runs are not judged in either mode, so both modes score
 *    the same runs.
 *
 * Scoring is `evaluateCorpus`'s (metrics.ts); overall scores pool the runs of
 * every held setup. The policy runs (advice only: the runs are recorded) so
 * the actions it would take on healthy runs are counted.
 */
import { join } from "node:path";
import { calibrate, type DeviationUnits, learnFingerprints, readLabels } from "../../src/index.js";
import { type EvalResult, type EvaluatedRun, evaluateCorpus } from "./eval.js";
import { HEALTHY } from "./faults.js";
import { type Scores, scoreOutcomes } from "./metrics.js";

export const LOSO_MODES = ["zero_shot", "calibrated"] as const;
export type LosoMode = (typeof LOSO_MODES)[number];

export interface LosoOptions {
  corpus: string;
  /** Setups to hold out in turn (default: every setup of the corpus); learning always uses all the others. */
  setups?: readonly string[];
  /** Healthy runs of the held setup to calibrate on (default 3). */
  calibrationRuns?: number;
  /** The units the fingerprints are learnt and matched in (default: learnFingerprints's, `noise`). */
  deviation?: DeviationUnits;
  progress?: (stage: string) => void;
}

/** What a faulty run's judgement missed: no alarm, or an alarm before its onset. */
export interface Miss {
  run: string;
  fault: string;
  severity: string | null;
  onset: number | null;
  first_alarm: number | null;
}

export interface LosoModeResult {
  scores: Scores;
  /** Healthy runs the policy gave any non-alert action, and those actions' total. */
  healthy_actions: { runs: number; actions: number };
  misses: Miss[];
  runs: EvaluatedRun[];
  problems: string[];
}

export interface LosoSetupResult {
  setup: string;
  /** The setups the fingerprints were learnt from. */
  learnt_from: string[];
  learnt: { healthy_runs: number; faulty_runs: number };
  /** The held setup's runs the calibration was learnt from (judged in neither mode). */
  calibration_runs: string[];
  zero_shot: LosoModeResult;
  calibrated: LosoModeResult;
}

export interface LosoResult {
  corpus: string;
  calibration_runs: number;
  setups: LosoSetupResult[];
  /** Every held setup's runs pooled. */
  overall: Record<LosoMode, Omit<LosoModeResult, "runs" | "problems">>;
}

const isMiss = (r: EvaluatedRun) =>
  r.fault !== HEALTHY && (r.firstAlarm === null || r.onset === null || r.firstAlarm < r.onset);

function summarize(runs: readonly EvaluatedRun[]): Omit<LosoModeResult, "runs" | "problems"> {
  const healthy = runs.filter((r) => r.fault === HEALTHY);
  return {
    scores: scoreOutcomes(runs),
    healthy_actions: {
      runs: healthy.filter((r) => (r.actions ?? 0) > 0).length,
      actions: healthy.reduce((a, r) => a + (r.actions ?? 0), 0),
    },
    misses: runs.filter(isMiss).map((r) => ({
      run: r.run,
      fault: r.fault,
      severity: r.severity,
      onset: r.onset,
      first_alarm: r.firstAlarm,
    })),
  };
}

const modeResult = (result: EvalResult): LosoModeResult => ({
  ...summarize(result.runs),
  runs: result.runs,
  problems: result.problems,
});

export async function evaluateLeaveOneSetupOut(options: LosoOptions): Promise<LosoResult> {
  const labels = readLabels(options.corpus);
  const k = options.calibrationRuns ?? 3;
  const all = [...new Set(Object.values(labels).flatMap((e) => (typeof e.setup === "string" ? [e.setup] : [])))].sort();
  if (all.length < 2)
    throw new Error(
      `${options.corpus}: leave-one-setup-out needs runs of at least 2 setups (labels.json has: ${all.join(", ") || "none"})`,
    );
  const held = options.setups ? [...options.setups] : all;
  for (const s of held)
    if (!all.includes(s))
      throw new Error(`${options.corpus}: no runs of setup ${s} (the corpus has: ${all.join(", ")})`);

  const results: LosoSetupResult[] = [];
  for (const setup of held) {
    const others = all.filter((s) => s !== setup);
    options.progress?.(`${setup}: learning fingerprints from ${others.join(", ")}`);
    const learnt = await learnFingerprints({
      corpus: options.corpus,
      split: "all",
      setups: others,
      deviation: options.deviation,
    });
    const healthyIds = Object.entries(labels)
      .filter(([, e]) => e.setup === setup && e.fault === HEALTHY)
      .map(([id]) => id)
      .sort();
    if (healthyIds.length <= k)
      throw new Error(
        `${options.corpus}: setup ${setup} has ${healthyIds.length} healthy run(s): calibrating on ${k} leaves none to judge false alarms on`,
      );
    const calibrationRuns = healthyIds.slice(0, k);
    options.progress?.(`${setup}: calibrating on ${calibrationRuns.join(", ")}`);
    const calibration = await calibrate(
      calibrationRuns.map((id) => join(options.corpus, labels[id].file)),
      { fingerprints: learnt.set, source: { setup, runs: calibrationRuns } },
    );
    const judge = (mode: LosoMode) => {
      options.progress?.(`${setup}: judging (${mode.replace("_", "-")})`);
      return evaluateCorpus({
        corpus: options.corpus,
        split: "all",
        setups: [setup],
        exclude: calibrationRuns,
        fingerprints: learnt.set,
        prior: mode === "calibrated",
        ...(mode === "calibrated" ? { calibration } : {}),
        policy: true,
      });
    };
    const zeroShot = await judge("zero_shot");
    const calibrated = await judge("calibrated");
    results.push({
      setup,
      learnt_from: others,
      learnt: { healthy_runs: learnt.healthyRuns, faulty_runs: learnt.faultyRuns },
      calibration_runs: calibrationRuns,
      zero_shot: modeResult(zeroShot),
      calibrated: modeResult(calibrated),
    });
  }
  const pooled = (mode: LosoMode) => summarize(results.flatMap((r) => r[mode].runs));
  return {
    corpus: options.corpus,
    calibration_runs: k,
    setups: results,
    overall: { zero_shot: pooled("zero_shot"), calibrated: pooled("calibrated") },
  };
}
