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
import { readTelemetry, type StepData } from "./ingest/index.js";
import type { LineSource } from "./ingest/lines.js";
import type { IngestReport } from "./ingest/report.js";
import { type ScannableStep, type StepFeatures, type StreamOptions, scanSteps, scanStream } from "./scan/scan.js";

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

export {
  ALERT_FORMATS,
  type AlertEvent,
  AlertEvents,
  type AlertFormat,
  type AlertKind,
  type AlertSink,
  alertPayload,
  checkWebhookUrl,
  VerdictAlerts,
  WebhookAlerter,
  type WebhookOptions,
  type WebhookStats,
} from "./alert/index.js";
export { DETECT_FLAGS, DETECT_OPTIONS, DETECT_OUTPUTS, DETECT_VERSION } from "./backend/generated/detect.js";
export { CANONICAL_COLUMNS, COLUMN_STATS, LAYOUT_VERSION, STEP_FEATURES } from "./backend/generated/layout.js";
export {
  type BackendName,
  type BatchShape,
  DETECT_OPTIONS_ERROR,
  DETECT_SHAPE_ERROR,
  DETECT_SNAPSHOT_ERROR,
  type DetectorBank,
  type DetectorKernels,
  type DetectorOptionName,
  type DetectorOptions,
  type FingerprintCentroids,
  type FingerprintMatcher,
  type Kernels,
  type PriorScorer,
  type PriorTable,
  SCAN_SHAPE_ERROR,
  type ScanBatch,
  type SeriesScorer,
} from "./backend/kernel.js";
export { BACKEND_ENV, preferenceFromEnv, type SelectOptions, selectKernels } from "./backend/load.js";
export { loadNativeKernels, loadNativeRoofline } from "./backend/native.js";
export { loadWasmKernels } from "./backend/wasm.js";
export {
  Case,
  type ContextInput,
  DEFAULT_RULES,
  type DiagnoseOptions,
  type DiagnosisContext,
  type DiagnosisReport,
  diagnose,
  diagnoseReport,
  estimateOnset,
  type Finding,
  type FingerprintMatch,
  makeContext,
  moved,
  pick,
  type Rule,
  type RuleFailure,
  SIGNALS,
  type SignalTrace,
  type TraceInput,
} from "./diagnosis/index.js";
export * from "./ingest/index.js";
export { type AppliedAction, observeAndApply, type TrainerAdapter } from "./loop/adapter.js";
export { type CalibrateOptions, calibrate } from "./monitor/calibrate.js";
export {
  type Calibration,
  CalibrationError,
  calibratedSet,
  formatCalibration,
  parseCalibration,
  readCalibration,
} from "./monitor/calibration-file.js";
export {
  DEFAULT_DETECTION,
  DEVIATION_UNITS,
  type DetectionSettings,
  type DeviationUnits,
  defaultFingerprintPath,
  defaultFingerprintSet,
  type Fingerprint,
  type FingerprintSet,
  FingerprintSetError,
  formatFingerprintSet,
  parseFingerprintSet,
  readFingerprintSet,
} from "./monitor/fingerprint-set.js";
export {
  type LabelEntry,
  type LearnOptions,
  type LearnReport,
  learnFingerprints,
  readLabels,
} from "./monitor/learn.js";
export { Monitor, type MonitorOptions, type MonitorSnapshot } from "./monitor/monitor.js";
export { CANDIDATE_SIGNALS, FEATURE_SIGNALS, METRIC_SIGNALS } from "./monitor/signals.js";
export {
  type Decision,
  type DecisionKind,
  type DiagnosisEntry,
  LEVEL_NAMES,
  POLICY_DEFAULTS,
  type PolicyInput,
  type PolicyOptions,
  type PolicyOutput,
  type PolicyState,
  REMEDIES,
  RemediationPolicy,
  type Remedy,
  type RemedyStep,
  resolveRemedy,
  rollbackTarget,
} from "./remediation/index.js";
export {
  type ActionMark,
  type CollectedStep,
  type CollectOptions,
  type CurvePoints,
  DEFAULT_MAX_POINTS,
  Envelope,
  type EpisodeReport,
  HEADLINE_PANELS,
  type Panel,
  type PanelSpec,
  REPORT_VERSION,
  ReportCollector,
  type ReportData,
  type RunReport,
  renderReportHtml,
  reportJson,
  type Series,
  writeReport,
} from "./report/index.js";
export { columnFeatureName, featureIndex, featureNames, ID_COLUMNS } from "./scan/features.js";
export { type PackedBatch, packTensors } from "./scan/pack.js";
export { quantileOfSorted } from "./scan/quantile.js";
export {
  featureRecord,
  type ScannableStep,
  type StepFeatures,
  type StreamOptions,
  scanSteps,
  scanStream,
} from "./scan/scan.js";
export { type ScoredItem, scoreSeries } from "./series/score.js";
export { type RunningServer, type ServerOptions, startServer } from "./serve/server.js";
export {
  type Reply,
  type RunPolicy,
  ServeSession,
  type SessionOptions,
  type SessionSnapshot,
} from "./serve/session.js";
export {
  EXIT_HALTED,
  EXIT_RELAUNCHES_SPENT,
  resumeArgs,
  type SuperviseOptions,
  supervise,
} from "./supervise/supervisor.js";
export * from "./telemetry/index.js";
export { type EpisodeChange, EpisodeTracker } from "./verdict/episodes.js";
export {
  FAULT_FAMILIES,
  FAULT_IDS,
  type Family,
  type FaultId,
  isFaultId,
  REMEDIABLE_FAULTS,
} from "./verdict/faults.js";
export type { StepInput } from "./verdict/input.js";
export type { FeatureName, SignalName } from "./verdict/signals.js";
export {
  ACTION_KINDS,
  type Action,
  type ActionKind,
  type Anomaly,
  type Diagnosis,
  type RunSummary,
  type Verdict,
} from "./verdict/types.js";
export {
  describeAction,
  describeActions,
  describeAnomalies,
  formatNumber,
  SIGMA_SHOWN,
  sigma,
} from "./verdict/words.js";
