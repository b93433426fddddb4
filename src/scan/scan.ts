import { COLUMN_STATS, STEP_FEATURES } from "../backend/generated/layout.js";
import type { Kernels } from "../backend/kernel.js";
import type { TensorLike } from "../telemetry/records.js";
import { featureNames, isExtraColumn } from "./features.js";
import { MAX_TENSOR_CELLS, packedCells } from "./limits.js";
import { packTensors } from "./pack.js";

/** A step as the scanner needs it: its identity and, when the trainer sent one, its trajectory tensor. */
export interface ScannableStep {
  readonly run: string;
  readonly step: number;
  readonly trajectories?: TensorLike;
}

/** The scanner's result for one step. */
export interface StepFeatures<S extends ScannableStep = ScannableStep> {
  /** The step as read (metrics, events, tensor). */
  readonly data: S;
  /** Value columns of the feature row, in order (canonical, then extras). Empty without a tensor. */
  readonly columns: readonly string[];
  /** The feature row (layout: `featureNames(columns)`), or null for a step without a trajectory tensor. */
  readonly features: Float64Array | null;
  /** Why the step's group ids were not used, when they were sent but unusable. */
  readonly groupIssue?: string;
  /** Why the step's prompt ids were not used, when they were sent but unusable. */
  readonly promptIssue?: string;
}

/** Scans steps in one kernel call. Steps without a tensor pass through with `features: null`. */
export function scanSteps<S extends ScannableStep>(kernels: Kernels, steps: readonly S[]): StepFeatures<S>[] {
  const withTensor = steps.filter((s) => s.trajectories !== undefined);
  if (withTensor.length === 0) return steps.map((data) => ({ data, columns: [], features: null }));

  const packed = packTensors(
    kernels,
    withTensor.map((s) => s.trajectories as TensorLike),
  );
  try {
    kernels.scan(packed.batch);
    const width = kernels.featureCount(packed.columns.length);
    const out = packed.batch.out;
    // Steps with a tensor hold the batch's rows in order.
    let row = 0;
    return steps.map((data) => {
      if (data.trajectories === undefined) return { data, columns: [], features: null };
      const i = row++;
      const groupIssue = packed.groupIssues[i];
      const promptIssue = packed.promptIssues[i];
      const features = out.slice(i * width, (i + 1) * width);
      return {
        data,
        columns: packed.columns,
        features,
        ...(groupIssue ? { groupIssue } : {}),
        ...(promptIssue ? { promptIssue } : {}),
      };
    });
  } finally {
    kernels.freeBatch(packed.batch);
  }
}

/** A step the kernels could not scan: why. */
export interface ScanFailure {
  readonly error: string;
}

/**
 * Scans steps in as few kernel calls as fit `maxCells` (packed cells per call),
 * so that no one call outgrows a backend; a call that fails is redone step by
 * step, so a step the kernels refuse fails alone and the others are scanned.
 */
export function scanEach<S extends ScannableStep>(
  kernels: Kernels,
  steps: readonly S[],
  maxCells = MAX_TENSOR_CELLS,
): (StepFeatures<S> | ScanFailure)[] {
  const out: (StepFeatures<S> | ScanFailure)[] = new Array(steps.length);
  let chunk: number[] = [];
  let rows = 0;
  let extras = new Set<string>();
  const scan = (indices: readonly number[]) => {
    const scanned = scanSteps(
      kernels,
      indices.map((i) => steps[i]),
    );
    indices.forEach((i, k) => {
      out[i] = scanned[k];
    });
  };
  const flush = () => {
    if (chunk.length === 0) return;
    try {
      scan(chunk);
    } catch (err) {
      for (const i of chunk) {
        try {
          scan([i]);
        } catch (alone) {
          out[i] = { error: (alone as Error)?.message ?? String(alone ?? err) };
        }
      }
    }
    chunk = [];
    rows = 0;
    extras = new Set();
  };
  steps.forEach((step, i) => {
    const t = step.trajectories;
    if (t === undefined) {
      out[i] = { data: step, columns: [], features: null };
      return;
    }
    const joined = new Set(extras);
    for (const name of t.columns.keys()) if (isExtraColumn(name)) joined.add(name);
    if (chunk.length > 0 && packedCells(rows + t.rows, joined.size) > maxCells) {
      flush();
      for (const name of t.columns.keys()) if (isExtraColumn(name)) extras.add(name);
    } else {
      extras = joined;
    }
    chunk.push(i);
    rows += t.rows;
  });
  flush();
  return out;
}

export interface StreamOptions {
  /** Most steps per kernel call (default 256). */
  maxSteps?: number;
  /** Most trajectory rows per kernel call (default 262144); a larger single step still goes in alone. */
  maxRows?: number;
}

/**
 * Scans a stream of steps in batches (one kernel call per batch), yielding
 * features in input order. Memory holds one batch at a time.
 */
export async function* scanStream<S extends ScannableStep>(
  kernels: Kernels,
  steps: AsyncIterable<S> | Iterable<S>,
  options: StreamOptions = {},
): AsyncGenerator<StepFeatures<S>> {
  const maxSteps = options.maxSteps ?? 256;
  const maxRows = options.maxRows ?? 1 << 18;
  let pending: S[] = [];
  let rows = 0;
  for await (const step of steps) {
    const stepRows = step.trajectories?.rows ?? 0;
    if (pending.length > 0 && (pending.length >= maxSteps || rows + stepRows > maxRows)) {
      yield* scanSteps(kernels, pending);
      pending = [];
      rows = 0;
    }
    pending.push(step);
    rows += stepRows;
  }
  if (pending.length > 0) yield* scanSteps(kernels, pending);
}

/**
 * The features of one step as a plain object, leaving out the blocks of
 * columns the step did not have (and every column feature of a step without a tensor).
 */
export function featureRecord(result: StepFeatures): Record<string, number> {
  const record: Record<string, number> = {};
  const { features, columns } = result;
  if (!features) return record;
  const names = featureNames(columns);
  const nStep = STEP_FEATURES.length;
  const nStats = COLUMN_STATS.length;
  for (let i = 0; i < nStep; i++) record[names[i]] = features[i];
  columns.forEach((column, c) => {
    if (!result.data.trajectories?.columns.has(column)) return;
    const base = nStep + c * nStats;
    for (let k = 0; k < nStats; k++) record[names[base + k]] = features[base + k];
  });
  return record;
}
