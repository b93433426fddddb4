import {
  checkAccumulation,
  checkBankPush,
  checkBankSnapshot,
  checkFingerprintSet,
  checkMatch,
  checkPriorScore,
  checkPriorTable,
  checkSeriesScore,
  checkTrendBatch,
  optionRecord,
  optionVector,
  refused,
} from "./checks.js";
import { DETECT_OPTIONS, DETECT_OUTPUTS, SNAPSHOT_AT } from "./generated/detect.js";
import { DETECT_OPTIONS_ERROR, DETECT_SHAPE_ERROR, DETECT_SNAPSHOT_ERROR } from "./generated/errors.js";
import type {
  DetectorBank,
  DetectorKernels,
  DetectorOptionName,
  FingerprintCentroids,
  FingerprintMatcher,
  PriorScorer,
  PriorTable,
  SeriesScorer,
} from "./kernel.js";
import type { WasmExports } from "./wasm-exports.js";
import { DEFAULT_HELD_BYTES, HeldBlocks } from "./wasm-held.js";

/** Runs a wasm call, turning a trap into an Error that names what was being done. */
export type TrapGuard = <T>(what: string, call: () => T) => T;

const OUT_WIDTH = DETECT_OUTPUTS.length;

/** wasm32 addresses are u32: a block this large or larger cannot be asked for. */
const ADDRESS_SPACE = 2 ** 32;

/** The detectors on the wasm backend. Banks, scorers, prior tables and
 *  fingerprint sets are blocks of linear memory; a call copies its arrays in
 *  and the outputs out (one scratch block per call). Inputs are checked and
 *  refused in checks.ts's words before anything is copied; the module's own
 *  checks stay as a defence (`refused`). */
export function wasmDetectors(
  wasm: WasmExports,
  guard: TrapGuard,
  heldLimit: number = DEFAULT_HELD_BYTES,
): DetectorKernels {
  const held = new HeldBlocks((ptr) => wasm.free(ptr), heldLimit);
  /** A block for an object that outlives the call: within the held bound, else refused before allocating. */
  const allocateHeld = (bytes: number, what: string) => {
    held.reserve(bytes, what);
    return allocate(bytes, what);
  };
  const allocate = (bytes: number, what: string) => {
    if (bytes >= ADDRESS_SPACE)
      throw new RangeError(`${what}: ${bytes} bytes is too large for the WebAssembly backend`);
    const ptr = guard(what, () => wasm.alloc(Math.max(bytes, 8))) >>> 0;
    if (ptr === 0) throw new RangeError(`${what}: ${bytes} bytes is too large for the WebAssembly backend`);
    return ptr;
  };
  const withScratch: WithScratch = (bytes, what, use) => {
    const ptr = allocate(bytes, what);
    try {
      return use(ptr);
    } finally {
      wasm.free(ptr);
    }
  };
  /** Copies a checked option vector into linear memory for the duration of `use`. */
  const withOptions = <T>(vector: Float64Array, use: (ptr: number) => T): T =>
    withScratch(vector.byteLength, "allocating detector options", (ptr) => {
      new Float64Array(wasm.memory.buffer, ptr, vector.length).set(vector);
      const invalid = wasm.detectInvalidOption(ptr);
      if (invalid >= 0) refused(DETECT_OPTIONS_ERROR, "an option vector", invalid);
      return use(ptr);
    });
  return {
    layoutVersion: wasm.detectLayoutVersion(),
    get heldBytes() {
      return held.bytes;
    },
    createBank(options) {
      return withOptions(optionVector(options), (opts) => {
        const bytes = wasm.bankBytes(opts) >>> 0;
        const bank = allocateHeld(bytes, "allocating a detector bank");
        wasm.bankInit(bank, opts);
        return new WasmBank(wasm, guard, bank, bytes, withScratch, held);
      });
    },
    restoreBank(snapshot) {
      checkBankSnapshot(snapshot);
      const bank = allocateHeld(snapshot.length, "allocating a detector bank");
      new Uint8Array(wasm.memory.buffer, bank, snapshot.length).set(snapshot);
      const status = wasm.bankCheck(bank, snapshot.length);
      if (status !== 0) {
        wasm.free(bank);
        refused(DETECT_SNAPSHOT_ERROR, "a snapshot", status);
      }
      return new WasmBank(wasm, guard, bank, snapshot.length, withScratch, held);
    },
    createSeriesScorer(options) {
      return withOptions(optionVector(options), (opts) => {
        const bytes = wasm.seriesBytes();
        const scorer = allocateHeld(bytes, "allocating a series scorer");
        wasm.seriesInit(scorer, opts);
        return new WasmSeriesScorer(wasm, guard, scorer, bytes, withScratch, held);
      });
    },
    createPrior(table) {
      return createWasmPrior(wasm, guard, allocateHeld, withScratch, table, held);
    },
    createMatcher(set) {
      return createWasmMatcher(wasm, guard, allocateHeld, withScratch, set, held);
    },
    trendStep(states, values, codes, trials, outputs, flags) {
      checkTrendBatch(states, values, codes, trials, outputs, flags);
      const n = values.length;
      if (n === 0) return;
      // f64 arrays first (states, values, trials, outputs), then the i32s: all aligned.
      const what = "judging trends";
      const sBytes = states.byteLength;
      const oBytes = outputs.byteLength;
      withScratch(sBytes + 16 * n + oBytes + 8 * n, what, (scratch) => {
        const buffer = wasm.memory.buffer;
        const at = { states: scratch, values: scratch + sBytes, trials: scratch + sBytes + 8 * n };
        const outAt = at.trials + 8 * n;
        const codesAt = outAt + oBytes;
        const flagsAt = codesAt + 4 * n;
        new Float64Array(buffer, at.states, states.length).set(states);
        new Float64Array(buffer, at.values, n).set(values);
        new Float64Array(buffer, at.trials, n).set(trials);
        new Int32Array(buffer, codesAt, n).set(codes);
        const status = guard(what, () => wasm.trendStep(at.states, at.values, codesAt, at.trials, n, outAt, flagsAt));
        if (status !== 0) refused(DETECT_SHAPE_ERROR, "a trend batch", status);
        // Views re-derived: the call may have grown memory.
        const after = wasm.memory.buffer;
        states.set(new Float64Array(after, at.states, states.length));
        outputs.set(new Float64Array(after, outAt, outputs.length));
        flags.set(new Int32Array(after, flagsAt, n));
      });
    },
    priorAccumulate(sums, z, settings, alarms) {
      checkAccumulation(sums, z, settings, alarms);
      const n = sums.length;
      const { k, clip, h } = settings;
      if (n === 0) return;
      // f64 arrays first, then the bytes: every array stays aligned.
      const what = "accumulating against a prior";
      withScratch(17 * n, what, (scratch) => {
        const buffer = wasm.memory.buffer;
        new Float64Array(buffer, scratch, n).set(sums);
        new Float64Array(buffer, scratch + 8 * n, n).set(z);
        guard(what, () => wasm.priorAccumulate(scratch, scratch + 8 * n, n, k, clip, h, scratch + 16 * n));
        sums.set(new Float64Array(wasm.memory.buffer, scratch, n));
        alarms.set(new Uint8Array(wasm.memory.buffer, scratch + 16 * n, n));
      });
    },
  };
}

/** A prior table in linear memory: [signals, buckets, center, scale] (wasm/assembly/detect/prior.ts). */
function createWasmPrior(
  wasm: WasmExports,
  guard: TrapGuard,
  allocate: Allocate,
  withScratch: WithScratch,
  table: PriorTable,
  held: HeldBlocks,
): PriorScorer {
  const { signals, buckets } = checkPriorTable(table);
  const cells = signals * buckets;
  const bytes = 16 + 16 * cells;
  const prior = allocate(bytes, "allocating a prior table");
  try {
    wasm.priorInit(prior, signals, buckets);
    new Float64Array(wasm.memory.buffer, prior + 16, cells).set(table.center);
    new Float64Array(wasm.memory.buffer, prior + 16 + 8 * cells, cells).set(table.scale);
    const bad = wasm.priorCheck(prior);
    if (bad >= 0) refused(DETECT_SHAPE_ERROR, "a prior table", bad);
  } catch (e) {
    wasm.free(prior);
    throw e;
  }
  return new WasmPrior(wasm, guard, prior, signals, buckets, bytes, withScratch, held);
}

/** A fingerprint set in linear memory: [fingerprints, dims, weights, centroids]
 *  (wasm/assembly/detect/fingerprint.ts). */
function createWasmMatcher(
  wasm: WasmExports,
  guard: TrapGuard,
  allocate: Allocate,
  withScratch: WithScratch,
  set: FingerprintCentroids,
  held: HeldBlocks,
): FingerprintMatcher {
  const { fingerprints, dims } = checkFingerprintSet(set);
  const cells = fingerprints * dims;
  const bytes = 16 + 8 * (dims + cells);
  const matcher = allocate(bytes, "allocating a fingerprint set");
  try {
    wasm.matcherInit(matcher, fingerprints, dims);
    new Float64Array(wasm.memory.buffer, matcher + 16, dims).set(set.weights);
    new Float64Array(wasm.memory.buffer, matcher + 16 + 8 * dims, cells).set(set.centroids);
    const bad = wasm.matcherCheck(matcher);
    if (bad >= 0) refused(DETECT_SHAPE_ERROR, "a fingerprint set", bad);
  } catch (e) {
    wasm.free(matcher);
    throw e;
  }
  return new WasmMatcher(wasm, guard, matcher, fingerprints, dims, bytes, withScratch, held);
}

type Allocate = (bytes: number, what: string) => number;
/** Runs `use` on a scratch block of `bytes`, freed afterwards (also when `use` throws). */
type WithScratch = <T>(bytes: number, what: string, use: (ptr: number) => T) => T;

/** A block's address, 0 once freed; held for its owner (wasm-held.ts: freed at its collection if never freed). */
class Block {
  #ptr: number;

  constructor(
    ptr: number,
    private readonly bytes: number,
    private readonly held: HeldBlocks,
    private readonly owner: object,
  ) {
    this.#ptr = ptr;
    held.adopt(owner, ptr, bytes);
  }

  get ptr(): number {
    if (this.#ptr === 0) throw new Error("this wasm detector object was already freed; create a new one");
    return this.#ptr;
  }

  /** Gives the block back (the owner's `free()`); a second call throws. */
  free(): void {
    const ptr = this.ptr;
    this.#ptr = 0;
    this.held.release(this.owner, ptr, this.bytes);
  }
}

class WasmBank implements DetectorBank {
  readonly options: Readonly<Record<DetectorOptionName, number>>;
  readonly #block: Block;

  constructor(
    private readonly wasm: WasmExports,
    private readonly guard: TrapGuard,
    bank: number,
    private readonly bytes: number,
    private readonly withScratch: WithScratch,
    held: HeldBlocks,
  ) {
    this.#block = new Block(bank, bytes, held, this);
    this.options = Object.freeze(
      optionRecord(new Float64Array(wasm.memory.buffer, bank + 8 * SNAPSHOT_AT.options, DETECT_OPTIONS.length)),
    );
  }

  get runs(): number {
    return this.wasm.bankRuns(this.#block.ptr);
  }

  push(runs: Uint32Array, signals: Uint32Array, values: Float64Array, outputs: Float64Array, flags: Int32Array): void {
    const bank = this.#block.ptr;
    checkBankPush(runs, signals, values, outputs, flags, this.options.max_signals);
    const n = values.length;
    if (n === 0) return;
    // f64 arrays first, then the 4-byte ones: every array stays aligned.
    const at = { values: 0, outputs: 8 * n, runs: 8 * n * (1 + OUT_WIDTH) };
    const signalsAt = at.runs + 4 * n;
    const flagsAt = signalsAt + 4 * n;
    this.withScratch(flagsAt + 4 * n, "pushing into a detector bank", (scratch) => {
      const buffer = this.wasm.memory.buffer;
      new Float64Array(buffer, scratch + at.values, n).set(values);
      new Uint32Array(buffer, scratch + at.runs, n).set(runs);
      new Uint32Array(buffer, scratch + signalsAt, n).set(signals);
      const status = this.guard("pushing into a detector bank", () =>
        this.wasm.bankPush(
          bank,
          scratch + at.runs,
          scratch + signalsAt,
          scratch + at.values,
          n,
          scratch + at.outputs,
          scratch + flagsAt,
        ),
      );
      if (status < 0) refused(DETECT_SHAPE_ERROR, "a push", status);
      const after = this.wasm.memory.buffer;
      outputs.set(new Float64Array(after, scratch + at.outputs, n * OUT_WIDTH));
      flags.set(new Int32Array(after, scratch + flagsAt, n));
    });
  }

  snapshot(): Uint8Array {
    const bytes = new Uint8Array(this.wasm.memory.buffer, this.#block.ptr, this.bytes).slice();
    // One NaN for every NaN (native/src/detect/bank.rs `snapshot`): the canonical quiet NaN, 0x7ff8000000000000.
    const words = new Float64Array(bytes.buffer);
    const halves = new Uint32Array(bytes.buffer);
    for (let i = 0; i < words.length; i++) {
      if (Number.isNaN(words[i])) {
        halves[2 * i] = 0;
        halves[2 * i + 1] = 0x7ff80000;
      }
    }
    return bytes;
  }

  evict(run: number): boolean {
    return this.wasm.bankEvict(this.#block.ptr, run >>> 0) === 1;
  }

  free(): void {
    this.#block.free();
  }
}

class WasmSeriesScorer implements SeriesScorer {
  readonly #block: Block;

  constructor(
    private readonly wasm: WasmExports,
    private readonly guard: TrapGuard,
    scorer: number,
    bytes: number,
    private readonly withScratch: WithScratch,
    held: HeldBlocks,
  ) {
    this.#block = new Block(scorer, bytes, held, this);
  }

  score(values: Float64Array, scores: Float64Array): void {
    const scorer = this.#block.ptr;
    checkSeriesScore(values, scores);
    const n = values.length;
    if (n === 0) return;
    this.withScratch(16 * n, "scoring a series", (scratch) => {
      new Float64Array(this.wasm.memory.buffer, scratch, n).set(values);
      this.guard("scoring a series", () => this.wasm.seriesScore(scorer, scratch, n, scratch + 8 * n));
      scores.set(new Float64Array(this.wasm.memory.buffer, scratch + 8 * n, n));
    });
  }

  free(): void {
    this.#block.free();
  }
}

class WasmPrior implements PriorScorer {
  readonly #block: Block;

  constructor(
    private readonly wasm: WasmExports,
    private readonly guard: TrapGuard,
    prior: number,
    readonly signals: number,
    readonly buckets: number,
    bytes: number,
    private readonly withScratch: WithScratch,
    held: HeldBlocks,
  ) {
    this.#block = new Block(prior, bytes, held, this);
  }

  score(signals: Uint32Array, steps: Uint32Array, values: Float64Array, z: Float64Array): void {
    const prior = this.#block.ptr;
    checkPriorScore(signals, steps, values, z, this.signals);
    const n = values.length;
    if (n === 0) return;
    // f64 arrays first, then the 4-byte ones: every array stays aligned.
    const at = { values: 0, z: 8 * n, signals: 16 * n, steps: 20 * n };
    this.withScratch(24 * n, "scoring against a prior table", (scratch) => {
      const buffer = this.wasm.memory.buffer;
      new Float64Array(buffer, scratch + at.values, n).set(values);
      new Uint32Array(buffer, scratch + at.signals, n).set(signals);
      new Uint32Array(buffer, scratch + at.steps, n).set(steps);
      const status = this.guard("scoring against a prior table", () =>
        this.wasm.priorScore(prior, scratch + at.signals, scratch + at.steps, scratch + at.values, n, scratch + at.z),
      );
      if (status < 0) refused(DETECT_SHAPE_ERROR, "a scoring call", status);
      z.set(new Float64Array(this.wasm.memory.buffer, scratch + at.z, n));
    });
  }

  free(): void {
    this.#block.free();
  }
}

class WasmMatcher implements FingerprintMatcher {
  readonly #block: Block;

  constructor(
    private readonly wasm: WasmExports,
    private readonly guard: TrapGuard,
    matcher: number,
    readonly fingerprints: number,
    readonly dims: number,
    bytes: number,
    private readonly withScratch: WithScratch,
    held: HeldBlocks,
  ) {
    this.#block = new Block(matcher, bytes, held, this);
  }

  match(vector: Float64Array, temperature: number, similarity: Float64Array, confidence: Float64Array): number {
    const matcher = this.#block.ptr;
    const { fingerprints, dims } = this;
    checkMatch(vector, temperature, similarity, confidence, fingerprints, dims);
    const at = { vector: 0, similarity: 8 * dims, confidence: 8 * (dims + fingerprints) };
    return this.withScratch(8 * (dims + 2 * fingerprints), "matching fingerprints", (scratch) => {
      new Float64Array(this.wasm.memory.buffer, scratch + at.vector, dims).set(vector);
      const used = this.guard("matching fingerprints", () =>
        this.wasm.matcherMatch(
          matcher,
          scratch + at.vector,
          temperature,
          scratch + at.similarity,
          scratch + at.confidence,
        ),
      );
      if (used < 0) refused(DETECT_SHAPE_ERROR, "a match", used);
      const after = this.wasm.memory.buffer;
      similarity.set(new Float64Array(after, scratch + at.similarity, fingerprints));
      confidence.set(new Float64Array(after, scratch + at.confidence, fingerprints));
      return used;
    });
  }

  free(): void {
    this.#block.free();
  }
}
