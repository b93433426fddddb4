/**
 * One step's detection, from the kernels' outputs: which signals are out of
 * line, by how much, and who saw it.
 *
 * Three views of a signal, all computed in the core:
 * - against the **healthy prior** (z_prior): what healthy runs showed at the
 *   same point of training. It sees faults present from step 0 (a mis-set
 *   temperature, a KL penalty left off), which a run's own baseline would learn
 *   as normal. A signal must stay beyond `prior_threshold` for `consecutive`
 *   steps: healthy runs cross a band now and then, rarely twice in a row.
 * - against the run's **own running baseline** (z_self, the detector bank, in
 *   units of the signal's healthy noise): spikes, and shifts and drifts that
 *   CUSUM and Page-Hinkley confirm. It sees mid-run faults in signals whose
 *   healthy spread across runs is too wide for the prior to notice.
 * - **non-finite** values: a NaN or infinite metric, or non-finite cells in the
 *   trajectory tensor (the `nonfinite` signal), alarm at once.
 *
 * The deviation of a signal at a step, used for diagnosis, is whichever of
 * z_prior and z_self is larger in magnitude.
 */
import { DETECT_FLAGS, DETECT_OUTPUTS } from "../backend/generated/detect.js";
import type { Anomaly } from "../verdict/types.js";

const bit = (name: (typeof DETECT_FLAGS)[number]) => 1 << DETECT_FLAGS.indexOf(name);
const WARMUP = bit("warmup");
const SPIKE = bit("spike");
const SHIFT_UP = bit("shift_up");
const SHIFT_DOWN = bit("shift_down");
const DRIFT_UP = bit("drift_up");
const DRIFT_DOWN = bit("drift_down");
const OUT_WIDTH = DETECT_OUTPUTS.length;
const OUT_Z = DETECT_OUTPUTS.indexOf("z");
const OUT_LEVEL = DETECT_OUTPUTS.indexOf("level");
const OUT_SCALE = DETECT_OUTPUTS.indexOf("scale");
const OUT_CUSUM_UP = DETECT_OUTPUTS.indexOf("cusum_up");
const OUT_CUSUM_DOWN = DETECT_OUTPUTS.indexOf("cusum_down");
const OUT_PH_UP = DETECT_OUTPUTS.indexOf("ph_up");
const OUT_PH_DOWN = DETECT_OUTPUTS.indexOf("ph_down");

/** The score reported for a non-finite value (the kernels' largest |z|). */
export const NONFINITE_SCORE = 1e6;

export interface StepDetection {
  /** Per signal: deviation from healthy (NaN when unknown: not reported, no reference, bank in warm-up). */
  z: number[];
  /** Signals beyond the prior threshold at this step (before the `consecutive` rule). */
  priorHot: number[];
  /** Anomalies other than the prior's (non-finite, bank). */
  anomalies: Anomaly[];
  /** Largest |z| over the signals; Infinity when a value was non-finite. */
  deviation: number;
  /** Per signal: the run's own baseline this step was judged against, in noise units (NaN: none yet, or in warm-up). */
  ownLevel: number[];
  ownScale: number[];
}

export interface StepInputs {
  signals: readonly string[];
  values: Float64Array;
  present: Uint8Array;
  /** Per signal: z against the prior (NaN where none). */
  zPrior: Float64Array;
  /** Per signal: index of its observation in the bank batch, -1 when not pushed. */
  bankIndex: Int32Array;
  bankOutputs: Float64Array;
  bankFlags: Int32Array;
  priorThreshold: number;
}

export function detectStep(input: StepInputs): StepDetection {
  const { signals, values, present, zPrior, bankIndex, bankOutputs, bankFlags } = input;
  const z: number[] = [];
  const priorHot: number[] = [];
  const anomalies: Anomaly[] = [];
  const ownLevel = new Array<number>(signals.length).fill(NaN);
  const ownScale = new Array<number>(signals.length).fill(NaN);
  let deviation = 0;
  for (let s = 0; s < signals.length; s++) {
    const signal = signals[s];
    if (!present[s]) {
      z.push(NaN);
      continue;
    }
    const x = values[s];
    if (!Number.isFinite(x) || (signal === "nonfinite" && x > 0)) {
      anomalies.push({
        signal,
        score: Number.isFinite(x) ? x : NONFINITE_SCORE,
        direction: "up",
        detector: "nonfinite",
      });
      z.push(Infinity);
      deviation = Infinity;
      continue;
    }
    const zp = zPrior[s];
    let zs = NaN;
    const i = bankIndex[s];
    if (i >= 0) {
      const flags = bankFlags[i];
      const row = i * OUT_WIDTH;
      if (!(flags & WARMUP)) {
        zs = bankOutputs[row + OUT_Z];
        ownLevel[s] = bankOutputs[row + OUT_LEVEL];
        ownScale[s] = bankOutputs[row + OUT_SCALE];
      }
      if (flags & SPIKE)
        anomalies.push({ signal, score: Math.abs(zs), direction: zs >= 0 ? "up" : "down", detector: "spike" });
      if (flags & (SHIFT_UP | SHIFT_DOWN)) {
        const up = (flags & SHIFT_UP) !== 0;
        const score = bankOutputs[row + (up ? OUT_CUSUM_UP : OUT_CUSUM_DOWN)];
        anomalies.push({ signal, score, direction: up ? "up" : "down", detector: "cusum" });
      }
      if (flags & (DRIFT_UP | DRIFT_DOWN)) {
        const up = (flags & DRIFT_UP) !== 0;
        const score = bankOutputs[row + (up ? OUT_PH_UP : OUT_PH_DOWN)];
        anomalies.push({ signal, score, direction: up ? "up" : "down", detector: "page_hinkley" });
      }
    }
    if (Math.abs(zp) > input.priorThreshold) priorHot.push(s);
    const dz = !Number.isFinite(zs) || Math.abs(zp) >= Math.abs(zs) ? zp : zs;
    z.push(dz);
    if (Math.abs(dz) > deviation) deviation = Math.abs(dz);
  }
  return { z, priorHot, anomalies, deviation, ownLevel, ownScale };
}

/** The prior's anomalies for these signals: out of line (`prior`, once the `consecutive` rule holds) or a lasting deviation that added up (`prior_cusum`). */
export function priorAnomalies(
  signals: readonly string[],
  hot: readonly number[],
  zPrior: Float64Array,
  detector: "prior" | "prior_cusum" = "prior",
): Anomaly[] {
  return hot.map((s) => ({
    signal: signals[s],
    score: Math.abs(zPrior[s]),
    direction: zPrior[s] >= 0 ? "up" : "down",
    detector,
  }));
}

/**
 * Drops the non-finite entries of a step's detection (they become unknown) and
 * recomputes its largest deviation: a single non-finite value that the detect
 * stage took as a note, not an alarm.
 */
export function forgetNonfinite(detection: StepDetection): void {
  let deviation = 0;
  detection.z = detection.z.map((z) => (Number.isFinite(z) || Number.isNaN(z) ? z : NaN));
  for (const z of detection.z) if (Math.abs(z) > deviation) deviation = Math.abs(z);
  detection.deviation = deviation;
  detection.anomalies = detection.anomalies.filter((a) => a.detector !== "nonfinite");
}
