/**
 * The Monitor: a trainer (or a log scanner) feeds it steps; for each it returns
 * the per-step verdict of docs/spec/verdicts.md: what is out of line, which
 * fault that looks like and why, and what to do about it.
 *
 * Per step, in order: the scanner's trajectory features (core), the healthy
 * prior's z-scores and the detector bank (core), the alarm decision
 * (deviation.ts), the alarm episode's deviation vector matched against the
 * fault fingerprints (core), the diagnosis rules (src/diagnosis), and the
 * remediation policy (src/remediation). docs/monitor.md has the whole story.
 *
 * The monitor runs inside the trainer's loop, so it never throws from
 * `observe`: a bad input or an internal failure comes back in the verdict's
 * `errors` and is logged once.
 */

import { DETECT_OUTPUTS } from "../backend/generated/detect.js";
import type { DetectorBank, FingerprintMatcher, Kernels, PriorScorer } from "../backend/kernel.js";
import { kernels as selectedKernels } from "../backend/selected.js";
import { trendCodes } from "../detect/kinds.js";
import { detectSignals, detect as detectZeroShot, newDetectState } from "../detect/stage.js";
import type { DiagnosisContext, FingerprintMatch, SignalTrace } from "../diagnosis/context.js";
import { diagnose } from "../diagnosis/diagnose.js";
import { DEFAULT_RULES, type Rule } from "../diagnosis/rules.js";
import type { PolicyOptions } from "../remediation/options.js";
import { RemediationPolicy } from "../remediation/policy.js";
import { scanEach } from "../scan/scan.js";
import { describeValue } from "../telemetry/decode.js";
import type { EventRecord, TensorLike } from "../telemetry/records.js";
import { checkMetrics } from "../verdict/check-values.js";
import type { StepInput } from "../verdict/input.js";
import type { Anomaly, Diagnosis, RunSummary, Verdict } from "../verdict/types.js";
import { type Calibration, calibratedSet, readCalibration } from "./calibration-file.js";
import { clockCheckpoints, tick, toClock, toTrainer } from "./clock.js";
import { detectStep, forgetNonfinite, priorAnomalies, type StepDetection } from "./deviation.js";
import { defaultFingerprintSet, type FingerprintSet, readFingerprintSet } from "./fingerprint-set.js";
import {
  decodeRunState,
  type Episode,
  encodeRunState,
  HISTORY_BEFORE_ALARM,
  newRunState,
  type RunState,
} from "./run-state.js";
import { type MonitoredStep, readSignals } from "./signals.js";
import {
  checkMonitorSnapshot,
  MAX_STEP,
  type MonitorSnapshot,
  SNAPSHOT_FORMAT,
  SNAPSHOT_VERSION,
  sealSnapshot,
} from "./snapshot.js";
import { readStepSize } from "./step-size.js";
import { checkTensor } from "./tensor-input.js";

export { MAX_STEP, type MonitorSnapshot } from "./snapshot.js";

export interface MonitorOptions {
  /** A fingerprint set, or the path of a fingerprint file (default: the shipped set). */
  fingerprints?: FingerprintSet | string;
  /**
   * Judge each step also against the set's healthy prior (healthy runs at the
   * same point of training), which is what catches faults present from step 0.
   * It only makes sense for runs of the setup the set was learnt on (same
   * task, model scale, trainer settings): a run of another setup differs from
   * that reference in many signals from its first step, exactly as a severe
   * configuration fault does, and the two cannot be told apart from the data.
   * Default: on for a set you pass (learnt on your setup), off for the shipped
   * set (learnt on the fault benchmark's tiny trainer), where the run's own
   * baseline, change detectors and fingerprints still apply.
   */
  prior?: boolean;
  /**
   * A calibration of the run's setup (`calibrate`, or the path of a calibration
   * file; docs/calibration.md): its healthy prior and noise replace the set's,
   * matched by signal name (a signal it has no reference for gets no prior),
   * point of training is the trainer's step number in its buckets, and the
   * prior is on (unless `prior: false`). Diagnosis still uses the set's
   * fingerprints.
   */
  calibration?: Calibration | string;
  /** Kernels to run on (default: the ones the package selected). */
  kernels?: Kernels;
  /** Diagnosis rules (default `DEFAULT_RULES`; add yours with `[...DEFAULT_RULES, mine]`). */
  rules?: readonly Rule[];
  /** Remediation policy options; `false` for detection and diagnosis only (no actions, no recommendations). */
  policy?: Partial<PolicyOptions> | false;
  /**
   * Per-run policy options, asked once when a run is first seen: a run for
   * which it returns options gets its own policy with them (advise-only, its
   * own allowed actions and budgets), `false` no policy; `undefined` falls back
   * to `policy`.
   */
  policyFor?: (run: string) => Partial<PolicyOptions> | false | undefined;
  /** Runs held at once (default 256); a new run beyond it evicts the least recently observed run. */
  maxRuns?: number;
  /** Where bad inputs and internal errors are logged, once per distinct message (default: console.warn). */
  onError?: (message: string) => void;
  /**
   * Called with a run's summary just before a new run beyond `maxRuns` evicts it
   * (not for `forget`), so what the run had found leaves with it; a reader of logs
   * keeps it (issue 13, item 3). A throwing callback is logged, never rethrown.
   */
  onEvict?: (summary: RunSummary) => void;
}

/** The event a trainer adapter reports an applied action with (verdicts.md). */
const ACTION_APPLIED = "action_applied";

/** A field of a caller's input that may be a throwing getter: its value when of `type`, else `fallback`. */
function readSafely<T>(read: () => unknown, type: "string" | "number", fallback: T): T {
  try {
    const v = read();
    return typeof v === type ? (v as T) : fallback;
  } catch {
    return fallback;
  }
}

function errorText(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return "an unprintable value";
  }
}

export class Monitor {
  readonly set: FingerprintSet;
  private readonly kernels: Kernels;
  private readonly rules: readonly Rule[];
  private readonly policy: RemediationPolicy | null;
  private readonly policyFor?: MonitorOptions["policyFor"];
  /** Runs with a policy of their own (`policyFor`); null: none for that run. */
  private readonly runPolicies = new Map<string, RemediationPolicy | null>();
  private readonly maxRuns: number;
  private readonly onError: (message: string) => void;
  private readonly onEvict?: (summary: RunSummary) => void;
  private readonly logged = new Set<string>();
  private bank: DetectorBank;
  private readonly prior: PriorScorer | null;
  /** Steps per prior bucket (a calibration's: bucket = step number / width); 0: bucket = the run's n-th observed step. */
  private readonly priorWidth: number;
  private readonly matcher: FingerprintMatcher | null;
  /** Run states, least recently observed first (Map keeps insertion order; a run is re-inserted when observed). */
  private readonly runs = new Map<string, RunState>();
  private nextKey = 0;
  private closed = false;
  private readonly noise: Float64Array;
  private readonly signalIndex: ReadonlyMap<string, number>;
  /** What the detect stage reads (the watched signals first, then the ones only it needs), and their trend-kernel codes. */
  private readonly detectList: readonly string[];
  private readonly detectExtra: readonly string[];
  private readonly trendCodes: Int32Array;

  constructor(options: MonitorOptions = {}, restored?: MonitorSnapshot) {
    this.kernels = options.kernels ?? selectedKernels;
    const fp = options.fingerprints;
    const base = fp === undefined ? defaultFingerprintSet() : typeof fp === "string" ? readFingerprintSet(fp) : fp;
    const cal = typeof options.calibration === "string" ? readCalibration(options.calibration) : options.calibration;
    this.set = cal ? calibratedSet(base, cal) : base;
    this.priorWidth = cal ? cal.prior.width : 0;
    this.rules = options.rules ?? DEFAULT_RULES;
    this.maxRuns = options.maxRuns ?? 256;
    this.onError = options.onError ?? ((message) => console.warn(`rftfm monitor: ${message}`));
    this.onEvict = options.onEvict;
    const n = this.set.signals.length;
    this.noise = Float64Array.from(this.set.noise);
    this.signalIndex = new Map(this.set.signals.map((name, s) => [name, s]));
    this.detectList = detectSignals(this.set.signals);
    this.detectExtra = this.detectList.slice(n);
    this.trendCodes = trendCodes(this.detectList);
    const detectors = this.kernels.detectors;
    if (restored) {
      // Format, checksum and every field are checked before anything is built from the snapshot.
      const window = this.set.detection.window;
      restored = checkMonitorSnapshot(restored, {
        signals: this.set.signals,
        history: window + HISTORY_BEFORE_ALARM,
        window,
      }) as MonitorSnapshot;
      // Decoded before the bank is built: a failure here then leaves nothing allocated.
      for (const [run, state] of restored.runs) this.runs.set(run, decodeRunState(state, n, this.detectList.length));
      this.nextKey = restored.nextKey;
      this.bank = detectors.restoreBank(Buffer.from(restored.bank, "base64"));
    } else {
      this.bank = detectors.createBank({ ...this.set.detection.bank, max_runs: this.maxRuns, max_signals: n });
    }
    // What is built after the bank can fail (no room left on wasm, a bad policy snapshot): the kernels' memory
    // taken so far is given back at once, not left for the garbage collector.
    try {
      const usePrior = options.prior ?? (cal !== undefined || fp !== undefined);
      const p = usePrior ? this.set.prior : null;
      this.prior = p
        ? detectors.createPrior({
            signals: n,
            buckets: p.buckets,
            center: Float64Array.from(p.center.flat()),
            scale: Float64Array.from(p.scale.flat()),
          })
        : null;
      const k = this.set.fingerprints.length;
      this.matcher =
        k > 0
          ? detectors.createMatcher({
              fingerprints: k,
              dims: n,
              centroids: Float64Array.from(this.set.fingerprints.flatMap((f) => f.centroid)),
              weights: Float64Array.from(this.set.weights),
            })
          : null;
      this.policy =
        options.policy === false
          ? null
          : restored?.policy
            ? RemediationPolicy.restore(restored.policy as never, options.policy)
            : new RemediationPolicy({ ...options.policy, maxRuns: this.maxRuns });
      this.policyFor = options.policyFor;
      for (const [run, state] of restored?.runPolicies ?? []) {
        this.runPolicies.set(
          run,
          state === null ? null : RemediationPolicy.restore(state as never, this.runOptions(run) || undefined),
        );
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** What `policyFor` says for a run (its errors are the caller's: they surface in the verdict). */
  private runOptions(run: string): Partial<PolicyOptions> | false | undefined {
    return this.policyFor?.(run);
  }

  /** The policy that decides for a run: its own (`policyFor`), else the shared one. */
  private policyOf(run: string): RemediationPolicy | null {
    if (!this.policyFor) return this.policy;
    let policy = this.runPolicies.get(run);
    if (policy === undefined) {
      const own = this.runOptions(run);
      policy = own === undefined ? this.policy : own === false ? null : new RemediationPolicy({ ...own, maxRuns: 1 });
      this.runPolicies.set(run, policy);
    }
    return policy;
  }

  /** A monitor that continues exactly where the snapshot's monitor stood (same options and fingerprint set expected). */
  static restore(snapshot: MonitorSnapshot, options: MonitorOptions = {}): Monitor {
    // The constructor reads a missing snapshot as "start empty": from restore, that would lose all state silently.
    if (snapshot === null || typeof snapshot !== "object" || Array.isArray(snapshot)) {
      throw new TypeError(
        `Monitor.restore: expected a snapshot (the object monitor.snapshot() returns), got ${describeValue(snapshot)}`,
      );
    }
    return new Monitor(options, snapshot);
  }

  /** The whole state as JSON-safe data: bank, run histories, episodes, policy. */
  snapshot(): MonitorSnapshot {
    return sealSnapshot({
      format: SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      signals: [...this.set.signals],
      bank: Buffer.from(this.bank.snapshot()).toString("base64"),
      nextKey: this.nextKey,
      runs: [...this.runs].map(([run, state]) => [run, encodeRunState(state)]),
      policy: this.policy?.snapshot() ?? null,
      runPolicies: [...this.runPolicies]
        .filter(([, p]) => p !== this.policy)
        .map(([run, p]) => [run, p?.snapshot() ?? null]),
    });
  }

  /** Judges one step. Never throws. */
  observe(input: StepInput): Verdict {
    return this.observeBatch([input])[0];
  }

  /**
   * Judges many steps in order (of one run or many), scanning their tensors in
   * one kernel call. Never throws: one verdict per input.
   */
  observeBatch(inputs: readonly StepInput[]): Verdict[] {
    if (!Array.isArray(inputs)) {
      const message = `observeBatch: expected an array of step inputs, got ${describeValue(inputs)}`;
      this.log(message);
      return [this.failed({}, message)];
    }
    // Input errors that leave the step usable (a metric that is not a number): reported in its verdict.
    const notes = inputs.map((): string[] => []);
    const steps: (MonitoredStep | string)[] = inputs.map((input, i) => {
      try {
        return this.checkInput(input, notes[i]);
      } catch (err) {
        // A getter or proxy that throws while the input is read: an input error like any other.
        return `input: reading it threw: ${errorText(err)}`;
      }
    });
    // Scanned in kernel calls the backends bound alike; a step the kernels refuse fails alone.
    const valid = steps.filter((s): s is MonitoredStep => typeof s !== "string");
    const scanned = scanEach(
      this.kernels,
      valid.map((s) => s.data),
    );
    let next = 0;
    return steps.map((step, i) => {
      if (typeof step === "string") {
        this.log(step);
        return this.failed(inputs[i], step);
      }
      const s = scanned[next++];
      if ("error" in s) {
        const message = `scanning trajectories: ${s.error}`;
        this.log(message);
        return this.failed(inputs[i], message);
      }
      try {
        return this.withInputErrors(this.judge(s as MonitoredStep, inputs[i].events ?? []), notes[i]);
      } catch (err) {
        const message = `internal error: ${(err as Error).message}`;
        this.log(message);
        return this.failed(inputs[i], message);
      }
    });
  }

  /** Judges a step the scanner already scanned (the CLI's path: `scanTelemetry` batches the tensors). */
  observeScanned(step: MonitoredStep, events: readonly Pick<EventRecord, "name" | "step">[] = []): Verdict {
    try {
      return this.judge(step, events);
    } catch (err) {
      const message = `internal error: ${(err as Error).message}`;
      this.log(message);
      return this.failed(step.data, message);
    }
  }

  /** The per-run summary (verdicts.md) of a run seen so far, or undefined. */
  summary(run: string): RunSummary | undefined {
    const state = this.runs.get(run);
    if (!state) return undefined;
    return {
      run,
      steps: state.observed,
      alarm: state.firstAlarm !== null,
      first_alarm_step: state.firstAlarm,
      diagnosis: state.diagnosis,
      actions: state.actions,
      lacking: this.set.signals.filter((_, s) => !state.reported[s]),
    };
  }

  /**
   * The deviation vector of a run's first alarm (per signal of the fingerprint
   * set: mean clipped deviation over the alarm's first steps; NaN where the run
   * gave no data), what its diagnosis was matched on; null before any alarm.
   */
  deviationVector(run: string): Float64Array | null {
    const v = this.runs.get(run)?.firstVector;
    return v ? Float64Array.from(v) : null;
  }

  /** Runs held now, least recently observed first. */
  get runIds(): string[] {
    return [...this.runs.keys()];
  }

  /** Drops a finished run's state (detector bank, history, policy). */
  forget(run: string): boolean {
    const state = this.runs.get(run);
    if (!state) return false;
    this.bank.evict(state.key);
    this.runs.delete(run);
    this.policy?.forget(run);
    this.runPolicies.delete(run);
    return true;
  }

  /**
   * Gives the kernels' memory back (wasm); the monitor is unusable afterwards. A
   * second call does nothing. A monitor dropped without it is freed when it is
   * garbage-collected (wasm-held.ts), which may be much later.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.bank.free();
    this.prior?.free();
    this.matcher?.free();
  }

  private withInputErrors(verdict: Verdict, errors: readonly string[]): Verdict {
    if (errors.length === 0) return verdict;
    for (const error of errors) this.log(error);
    verdict.errors = [...(verdict.errors ?? []), ...errors];
    return verdict;
  }

  private checkInput(input: StepInput, errors: string[]): MonitoredStep | string {
    if (input === null || typeof input !== "object")
      return "input: expected an object { run, step, metrics?, trajectories? }";
    if (typeof input.run !== "string" || input.run === "") return "run: expected a non-empty string";
    // As in telemetry.md: a huge, negative or fractional step would also make the policy ignore the run's later steps.
    if (typeof input.step !== "number" || !Number.isSafeInteger(input.step) || input.step < 0) {
      return `step: expected a non-negative integer, got ${describeValue(input.step)}`;
    }
    // The policy's clock adds an offset to steps after a rewind: it must stay exact, so steps stay far below 2^53.
    if (input.step > MAX_STEP) return `step: expected at most ${MAX_STEP} (2^48), got ${input.step}`;
    if (input.metrics !== undefined && (typeof input.metrics !== "object" || input.metrics === null)) {
      return "metrics: expected an object of name -> number";
    }
    if (input.events !== undefined && !Array.isArray(input.events)) return "events: expected an array of event records";
    // A bad tensor is an input error of this step alone: the step is judged without it (its signals absent).
    let trajectories: TensorLike | undefined;
    if (input.trajectories !== undefined) {
      const checked = checkTensor(input.trajectories);
      if ("error" in checked) errors.push(checked.error);
      else trajectories = checked.tensor;
    }
    let metrics = input.metrics;
    if (metrics !== undefined) {
      const checked = checkMetrics(metrics);
      metrics = checked.metrics;
      errors.push(...checked.errors);
    }
    const data = { run: input.run, step: input.step, metrics, trajectories };
    return { data, columns: [], features: null } as MonitoredStep;
  }

  private failed(input: Partial<StepInput>, message: string): Verdict {
    return {
      run: readSafely(() => input?.run, "string", ""),
      step: readSafely(() => input?.step, "number", NaN),
      anomalous: false,
      anomalies: [],
      diagnosis: [],
      actions: [],
      errors: [message],
    };
  }

  private log(message: string): void {
    if (this.logged.has(message)) return;
    this.logged.add(message);
    try {
      this.onError(message);
    } catch {
      // A failing logger must not break the trainer's loop either.
    }
  }

  /** Hands an evicted run's summary to `onEvict`; its failure is logged, not thrown into the caller's loop. */
  private handOff(run: string): void {
    if (!this.onEvict) return;
    const summary = this.summary(run);
    if (!summary) return;
    try {
      this.onEvict(summary);
    } catch (err) {
      this.log(`onEvict failed for run ${run}: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private runState(run: string): RunState {
    let state = this.runs.get(run);
    if (state) {
      this.runs.delete(run);
    } else {
      if (this.runs.size >= this.maxRuns) {
        const [oldest] = this.runs.keys();
        this.handOff(oldest);
        this.forget(oldest);
      }
      state = newRunState(this.nextKey++ >>> 0, this.set.signals.length, this.detectList.length);
    }
    this.runs.set(run, state);
    return state;
  }

  /**
   * One step through the pipeline: read the signals, detect (zero-shot stage,
   * plus the prior and the bank's deviations), open or feed the alarm episode
   * (match its deviation vector against the fingerprints, diagnose), decide.
   */
  private judge(step: MonitoredStep, events: readonly Pick<EventRecord, "name" | "step">[]): Verdict {
    const { run, step: stepNo } = step.data;
    const state = this.runState(run);
    // A checkpoint is a step the trainer could go back to: a whole step, not negative, not in the future of the clock's range.
    const saved = events.flatMap((e) =>
      e?.name === "checkpoint" && Number.isSafeInteger(e.step) && e.step >= 0 && e.step <= MAX_STEP ? [e.step] : [],
    );
    const clockStep = tick(state.clock, stepNo, saved);
    // The trainer acted on the run (a rollback, a new setting, restarted workers): its
    // own past is no longer its baseline. Its streams start over (warm-up again), so
    // the return to health is not taken for a new change; the prior still judges.
    if (events.some((e) => e?.name === ACTION_APPLIED)) {
      this.bank.evict(state.key);
      state.priorSums.fill(0);
      state.detect = newDetectState(this.detectList.length);
    }
    const read = this.read(step, state);
    const { detection, shape, anomalies, notes, lasted, evidence } = this.detect(step, state, read);
    const anomalous = anomalies.length > 0;
    const history = state.observed;
    state.observed++;
    state.history.push({ step: stepNo, values: [...read.values], z: evidence });
    const keep = this.set.detection.window + HISTORY_BEFORE_ALARM;
    if (state.history.length > keep) state.history.splice(0, state.history.length - keep);

    const opening = state.episode === null && anomalous;
    const diagnosis = this.updateEpisode(state, run, stepNo, anomalous, anomalies, detection, shape);
    // An alarm stands once a change persisted: the change began that many logged points back.
    if (opening && state.episode && lasted > 1) {
      const at = state.history[Math.max(0, state.history.length - lasted)];
      state.episode.began = at.step;
    }
    const began = state.episode?.began;
    if (began !== undefined) for (const d of diagnosis) if (d.onset === undefined || d.onset > began) d.onset = began;
    if (anomalous && state.firstAlarm === null) state.firstAlarm = stepNo;

    const verdict: Verdict = { run, step: stepNo, anomalous, anomalies, diagnosis, actions: [] };
    if (notes.length) verdict.notes = notes;
    this.decide(verdict, state, clockStep, history, detection, read.values);
    if (read.firstStep) {
      const lacking = this.set.signals.filter((_, s) => !state.reported[s]);
      if (lacking.length) verdict.lacking = lacking;
    }
    return verdict;
  }

  /** The step's value of every watched signal, which of them it reported, and its size. */
  private read(step: MonitoredStep, state: RunState) {
    const n = this.set.signals.length;
    const values = new Float64Array(n);
    const present = new Uint8Array(n);
    readSignals(step, this.set.signals, values, present);
    const firstStep = state.observed === 0;
    for (let s = 0; s < n; s++) if (present[s]) state.reported[s] = true;
    return { values, present, firstStep, size: readStepSize(step) };
  }

  /**
   * Detection. Zero-shot (the default): the detect stage alone raises alarms
   * (trends that persist, invariants, non-finite values that persist). With
   * the prior on (a set learnt on the run's own setup), the prior and the
   * run's own detector bank alarm too, as they always did. Either way the
   * deviations of the prior and the bank describe the step for diagnosis.
   */
  private detect(step: MonitoredStep, state: RunState, read: ReturnType<Monitor["read"]>) {
    const set = this.set;
    const n = set.signals.length;
    const { values, present } = read;
    // The watched signals lead the detect list: their values are read already, the rest are read here.
    const list = this.detectList;
    const detectValues = new Float64Array(list.length);
    const detectPresent = new Uint8Array(list.length);
    detectValues.set(values);
    detectPresent.set(present);
    if (list.length > n) {
      const extra = this.detectExtra;
      const v = new Float64Array(extra.length);
      const p = new Uint8Array(extra.length);
      readSignals(step, extra, v, p);
      detectValues.set(v, n);
      detectPresent.set(p, n);
    }
    const zeroShot = detectZeroShot(this.kernels, state.detect, {
      signals: list,
      codes: this.trendCodes,
      values: detectValues,
      present: detectPresent,
      size: read.size,
    });

    // Prior: one core call over the reported signals.
    const zPrior = new Float64Array(n).fill(NaN);
    if (this.prior) {
      const ids = [...present.keys()].filter((s) => present[s]);
      const z = new Float64Array(ids.length);
      this.prior.score(
        Uint32Array.from(ids),
        new Uint32Array(ids.length).fill(this.priorBucket(step.data.step, state.observed)),
        Float64Array.from(ids, (s) => values[s]),
        z,
      );
      ids.forEach((s, i) => {
        zPrior[s] = z[i];
      });
    }
    // Lasting moderate deviations against the prior, added up per signal (core).
    const lasting: number[] = [];
    const accumulation = set.detection.prior_cusum;
    if (this.prior && accumulation) {
      const sums = Float64Array.from(state.priorSums);
      const alarms = new Uint8Array(n);
      this.kernels.detectors.priorAccumulate(sums, zPrior, accumulation, alarms);
      state.priorSums = [...sums];
      for (let s = 0; s < n; s++) if (alarms[s]) lasting.push(s);
    }

    // The run's own baseline: finite values in noise units (the bank's scale floor is 1 noise).
    const bankIndex = new Int32Array(n).fill(-1);
    const pushed: number[] = [];
    for (let s = 0; s < n; s++) if (present[s] && Number.isFinite(values[s])) bankIndex[s] = pushed.push(s) - 1;
    const m = pushed.length;
    const bankOutputs = new Float64Array(m * DETECT_OUTPUTS.length);
    const bankFlags = new Int32Array(m);
    if (m > 0) {
      this.bank.push(
        new Uint32Array(m).fill(state.key),
        Uint32Array.from(pushed),
        Float64Array.from(pushed, (s) => values[s] / this.noise[s]),
        bankOutputs,
        bankFlags,
      );
    }

    const detection = detectStep({
      signals: set.signals,
      values,
      present,
      zPrior,
      bankIndex,
      bankOutputs,
      bankFlags,
      priorThreshold: set.detection.prior_threshold,
    });
    // A single non-finite value is a note: it must not read as a non-finite deviation downstream.
    if (!zeroShot.nonfiniteAlarm && detection.deviation === Infinity) forgetNonfinite(detection);
    const anomalies = [...zeroShot.anomalies];
    if (this.prior) {
      state.streak = detection.priorHot.length > 0 ? state.streak + 1 : 0;
      if (state.streak >= set.detection.consecutive)
        anomalies.push(...priorAnomalies(set.signals, detection.priorHot, zPrior));
      const named = new Set(anomalies.map((a) => a.signal));
      for (const a of priorAnomalies(set.signals, lasting, zPrior, "prior_cusum"))
        if (!named.has(a.signal)) anomalies.push(a);
      anomalies.push(...detection.anomalies.filter((a) => a.detector !== "nonfinite"));
      anomalies.sort((a, b) => b.score - a.score);
    }
    const shape = set.deviation === "trend" ? trendShape(detection.z, zPrior, zeroShot.trendZ) : detection.z;
    const evidence = evidenceZ(detection.z, zeroShot.trendZ);
    return { detection, shape, anomalies, notes: zeroShot.notes, lasted: zeroShot.lasted, evidence };
  }

  /**
   * The prior bucket of a step: by step number with a calibration (its width),
   * else the run's n-th observed step (a learnt set's buckets); clamped to the last.
   */
  private priorBucket(step: number, observed: number): number {
    const buckets = this.set.prior?.buckets ?? 1;
    return Math.min(this.priorWidth > 0 ? Math.floor(step / this.priorWidth) : observed, buckets - 1);
  }

  /** The remediation policy's word on the step, into the verdict. */
  private decide(
    verdict: Verdict,
    state: RunState,
    clockStep: number,
    history: number,
    detection: StepDetection,
    values: Float64Array,
  ): void {
    const policy = this.policyOf(verdict.run);
    if (!policy) return;
    // The policy counts on the run's clock (trainer steps made monotonic across rewinds).
    const decided = policy.decide({
      run: verdict.run,
      step: clockStep,
      anomalous: verdict.anomalous,
      diagnosis: verdict.diagnosis.map((d) =>
        d.onset === undefined ? d : { ...d, onset: toClock(state.clock, d.onset) },
      ),
      deviation: episodeDeviation(state.episode, detection, values, this.noise),
      threshold: this.set.detection.prior_threshold,
      checkpoints: clockCheckpoints(state.clock),
      history,
    });
    decided.actions = decided.actions.map((a) => toTrainer(state.clock, a));
    decided.recommendations = decided.recommendations.map((a) => toTrainer(state.clock, a));
    verdict.actions = decided.actions;
    if (decided.recommendations.length) verdict.recommendations = decided.recommendations;
    const decisions = decided.decisions
      .filter((d) => d.kind !== "quiet")
      .map((d) => ({ kind: d.kind, reason: d.reason }));
    if (decisions.length) verdict.decisions = decisions;
    state.actions.push(...decided.actions, ...decided.recommendations);
  }

  /**
   * Opens, feeds and closes the run's alarm episode; returns the diagnosis for
   * this step (empty outside an episode). The deviation vector is the mean
   * clipped deviation of each signal (`shape`: in the set's deviation units) over
   * the episode's first `window` steps; the diagnosis is recomputed on each of
   * them and then settles.
   */
  private updateEpisode(
    state: RunState,
    run: string,
    step: number,
    anomalous: boolean,
    anomalies: Anomaly[],
    detection: StepDetection,
    shape: readonly number[],
  ): Diagnosis[] {
    const z = shape;
    const { window, clip } = this.set.detection;
    const n = this.set.signals.length;
    let episode = state.episode;
    if (!episode) {
      if (!anomalous) return [];
      episode = state.episode = {
        alarmStep: step,
        sums: new Array<number>(n).fill(0),
        counts: new Array<number>(n).fill(0),
        steps: 0,
        signals: [],
        refLevel: [...detection.ownLevel],
        refScale: [...detection.ownScale],
        quiet: 0,
        diagnosis: [],
      };
    }
    episode.quiet = anomalous ? 0 : episode.quiet + 1;
    const index = this.signalIndex;
    for (const a of anomalies) {
      const s = index.get(a.signal);
      if (s !== undefined && !episode.signals.includes(s)) episode.signals.push(s);
    }
    if (episode.steps < window) {
      for (let s = 0; s < n; s++) {
        const v = z[s];
        if (Number.isNaN(v)) continue;
        episode.sums[s] += v === Infinity ? clip : Math.max(-clip, Math.min(clip, v));
        episode.counts[s]++;
      }
      episode.steps++;
      episode.diagnosis = this.diagnoseEpisode(state, run, episode, step, anomalies);
      // The run summary reports the first episode's diagnosis.
      if (state.firstAlarm === null || state.firstAlarm === episode.alarmStep) state.diagnosis = episode.diagnosis;
    }
    const diagnosis = episode.diagnosis;
    if (episode.steps >= window && episode.quiet >= window) state.episode = null;
    return diagnosis;
  }

  private diagnoseEpisode(
    state: RunState,
    run: string,
    episode: Episode,
    step: number,
    anomalies: Anomaly[],
  ): Diagnosis[] {
    const set = this.set;
    const fingerprints: FingerprintMatch[] = [];
    const vector = Float64Array.from(episode.sums, (sum, s) => (episode.counts[s] ? sum / episode.counts[s] : NaN));
    if (state.firstAlarm === null || state.firstAlarm === episode.alarmStep) state.firstVector = [...vector];
    if (this.matcher) {
      const k = set.fingerprints.length;
      const similarity = new Float64Array(k);
      const confidence = new Float64Array(k);
      this.matcher.match(vector, set.temperature, similarity, confidence);
      set.fingerprints.forEach((f, i) => {
        fingerprints.push({ fault: f.fault, family: f.family, similarity: similarity[i], confidence: confidence[i] });
      });
      fingerprints.sort((a, b) => b.confidence - a.confidence);
    }
    const index = this.signalIndex;
    const alarmBucket = this.priorBucket(episode.alarmStep, Math.max(0, state.observed - episode.steps));
    const traces = new Map<string, SignalTrace>();
    const context: DiagnosisContext = {
      run,
      step,
      alarmStep: episode.alarmStep,
      anomalies,
      fingerprints,
      signal: (name: string) => {
        const s = index.get(name);
        if (s === undefined || !state.reported[s]) return undefined;
        let trace = traces.get(name);
        if (!trace) {
          const p = this.prior ? set.prior : null;
          const reference = p ? p.center[s][Math.min(alarmBucket, p.buckets - 1)] : NaN;
          // The signal's logged points only. A step without the signal (a checkpoint event
          // between logged steps, a sparser cadence) reads NaN with no deviation, and so does
          // a single non-finite value the detect stage forgave as a note; kept, either would
          // read as non-finite data to a rule (nan_inf early in a run, where no z is known).
          const logged = state.history.filter((h) => Number.isFinite(h.values[s]) || !Number.isNaN(h.z[s]));
          trace = {
            name,
            steps: logged.map((h) => h.step),
            values: logged.map((h) => h.values[s]),
            z: logged.map((h) => h.z[s]),
            reference,
          };
          traces.set(name, trace);
        }
        return trace;
      },
    };
    return diagnose(context, this.rules);
  }
}

/**
 * A step's deviation per signal in `trend` units (fingerprint-set.ts): against the
 * run's own trend line where the trend detector judges the signal, unless the prior
 * (a reference of the run's own setup, when one is in use) sees it further out; the
 * step's deviation (`z`) elsewhere, and wherever a value was non-finite.
 */
function trendShape(z: readonly number[], zPrior: Float64Array, trendZ: Float64Array): number[] {
  return z.map((zs, s) => {
    const t = trendZ[s];
    if (!Number.isFinite(t) || zs === Infinity || zs === -Infinity) return zs;
    return Math.abs(zPrior[s]) > Math.abs(t) ? zPrior[s] : t;
  });
}

/**
 * A step's deviation per signal as the diagnosis rules read it (each signal's
 * trace `z`): the furthest out of the step's deviation (`z`: the prior's or the
 * run's own baseline's) and the trend detector's. The run's own baseline
 * adapts: by the time a change has persisted into an alarm, it has taken in
 * part of the change (a tool error share from 0 to 1 reads +5 there), while
 * the trend detector judges an excursion against the line frozen at its start,
 * in its kind's own noise (+246 for the same share, binomial noise of its
 * calls). Non-finite values keep their infinite deviation.
 */
function evidenceZ(z: readonly number[], trendZ: Float64Array): number[] {
  return z.map((zs, s) => {
    const t = trendZ[s];
    if (!Number.isFinite(t) || zs === Infinity || zs === -Infinity) return zs;
    return Number.isNaN(zs) || Math.abs(t) > Math.abs(zs) ? t : zs;
  });
}

/**
 * How far the run is from healthy, for the policy's recovery check: over the
 * signals that raised the open alarm episode (a remedy is judged on what went
 * wrong, not on an unrelated signal), each by the larger of its deviation now
 * and its distance from the run's own baseline before the alarm (which an
 * action that restarted the run's detectors does not forget); over every
 * signal outside an episode. Non-finite data anywhere is Infinity.
 */
function episodeDeviation(
  episode: Episode | null,
  detection: StepDetection,
  values: Float64Array,
  noise: Float64Array,
): number {
  if (!episode || episode.signals.length === 0 || detection.deviation === Infinity) return detection.deviation;
  let worst = 0;
  for (const s of episode.signals) {
    const fromRef = Math.abs(values[s] / noise[s] - episode.refLevel[s]) / episode.refScale[s];
    const z = Math.max(Math.abs(detection.z[s]) || 0, Number.isFinite(fromRef) ? fromRef : 0);
    if (z > worst) worst = z;
  }
  return worst;
}
