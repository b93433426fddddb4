/**
 * rftfm: automatic failure management for reinforcement fine-tuning (RFT) of
 * language models. This module is the public API.
 *
 * The kernels are chosen once, when the module loads: the native addon, or the
 * WebAssembly build when the addon cannot load (one warning names the reason),
 * or the one `RFTFM_BACKEND=native|wasm` forces.
 */
import type { Kernels } from "./backend/kernel.js";
import { kernels as selectedKernels } from "./backend/selected.js";
import { scanStream, scanSteps, type ScannableStep, type StepFeatures, type StreamOptions } from "./scan/scan.js";
import { readTelemetry, type StepData } from "./telemetry/index.js";
import type { LineSource } from "./telemetry/lines.js";
import type { IngestReport } from "./telemetry/report.js";

/** The kernels in use. */
export const kernels: Kernels = selectedKernels;
/** Which backend runs the kernels: `"native"` or `"wasm"`. */
export const backend = kernels.name;

/** Scans steps (each with an optional trajectory tensor) in one kernel call. */
export function scan<S extends ScannableStep>(steps: readonly S[]): StepFeatures<S>[] {
  return scanSteps(kernels, steps);
}

/**
 * Reads telemetry (JSONL files, `.jsonl.gz`, `-` for stdin, or streams) and
 * scans every step, batching kernel calls. Memory stays bounded: one open step
 * per run and one batch in flight. `report` fills in as the scan goes and is
 * complete when `features` is exhausted.
 */
export function scanTelemetry(
  sources: LineSource[],
  options: StreamOptions = {},
): { features: AsyncIterable<StepFeatures<StepData>>; report: IngestReport } {
  const { steps, report } = readTelemetry(sources);
  return { features: scanStream(kernels, steps, options), report };
}

export { selectKernels, preferenceFromEnv, BACKEND_ENV, type SelectOptions } from "./backend/load.js";
export { loadNativeKernels } from "./backend/native.js";
export { loadWasmKernels } from "./backend/wasm.js";
export { SCAN_SHAPE_ERROR, type BackendName, type BatchShape, type Kernels, type ScanBatch } from "./backend/kernel.js";
export { CANONICAL_COLUMNS, COLUMN_STATS, STEP_FEATURES, LAYOUT_VERSION } from "./backend/generated/layout.js";
export {
  DETECT_OPTIONS_ERROR,
  DETECT_SHAPE_ERROR,
  DETECT_SNAPSHOT_ERROR,
  type DetectorBank,
  type DetectorKernels,
  type DetectorOptionName,
  type DetectorOptions,
  type FingerprintCentroids,
  type FingerprintMatcher,
  type PriorScorer,
  type PriorTable,
  type SeriesScorer,
} from "./backend/kernel.js";
export { DETECT_FLAGS, DETECT_OPTIONS, DETECT_OUTPUTS, DETECT_VERSION } from "./backend/generated/detect.js";
export { scoreSeriesCsv } from "./cli/score-series.js";
export { featureNames, featureIndex, columnFeatureName, ID_COLUMNS } from "./scan/features.js";
export { packTensors, type PackedBatch, type TensorLike } from "./scan/pack.js";
export {
  featureRecord,
  scanStream,
  scanSteps,
  type ScannableStep,
  type StepFeatures,
  type StreamOptions,
} from "./scan/scan.js";
export * from "./telemetry/index.js";
export {
  COLUMN_ALIASES,
  FORMAT_NAMES,
  METRIC_ALIASES,
  canonicalColumns,
  canonicalMetrics,
  type AdapterOptions,
  type FormatName,
} from "./adapters/index.js";
export { ACTION_KINDS, type Action, type ActionKind, type Anomaly } from "./verdict/types.js";
export { FAULT_FAMILIES, FAULT_IDS, REMEDIABLE_FAULTS, isFaultId, type Family, type FaultId } from "./verdict/faults.js";
export {
  LEVEL_NAMES,
  POLICY_DEFAULTS,
  REMEDIES,
  RemediationPolicy,
  resolveRemedy,
  rollbackTarget,
  type Decision,
  type DecisionKind,
  type DiagnosisEntry,
  type PolicyInput,
  type PolicyOptions,
  type PolicyOutput,
  type PolicyState,
  type Remedy,
  type RemedyStep,
} from "./remediation/index.js";
export {
  Monitor,
  type MonitorOptions,
  type MonitorSnapshot,
  type RunSummary,
  type StepInput,
  type Verdict,
} from "./monitor/monitor.js";
export {
  DEFAULT_DETECTION,
  FingerprintSetError,
  defaultFingerprintPath,
  defaultFingerprintSet,
  formatFingerprintSet,
  parseFingerprintSet,
  readFingerprintSet,
  type DetectionSettings,
  type Fingerprint,
  type FingerprintSet,
} from "./monitor/fingerprint-set.js";
export { learnFingerprints, readLabels, type LearnOptions, type LearnReport } from "./monitor/learn.js";
export { CANDIDATE_SIGNALS, FEATURE_SIGNALS, METRIC_SIGNALS } from "./monitor/signals.js";
export { observeAndApply, type AppliedAction, type TrainerAdapter } from "./loop/adapter.js";
export {
  DEFAULT_RULES,
  diagnose,
  diagnoseReport,
  makeContext,
  estimateOnset,
  moved,
  pick,
  Case,
  SIGNALS,
  type ContextInput,
  type DiagnoseOptions,
  type Diagnosis,
  type DiagnosisContext,
  type DiagnosisReport,
  type Finding,
  type FingerprintMatch,
  type Rule,
  type RuleFailure,
  type SignalTrace,
  type TraceInput,
} from "./diagnosis/index.js";
