import { DETECT_OPTIONS, DETECT_OUTPUTS, MAX_STREAMS } from "./generated/detect.js";
import {
  DETECT_OPTIONS_ERROR,
  DETECT_SHAPE_ERROR,
  DETECT_SNAPSHOT_ERROR,
  optionRecord,
  optionVector,
  type DetectorBank,
  type DetectorKernels,
  type DetectorOptionName,
  type SeriesScorer,
} from "./kernel.js";

/** What the AssemblyScript module exports for the detectors (wasm/assembly/index.ts, detect/*.ts). */
export interface WasmDetectExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  alloc(bytes: number): number;
  free(ptr: number): void;
  detectLayoutVersion(): number;
  /** Index of the first option breaking its rule, -1 when valid. */
  detectInvalidOption(options: number): number;
  bankBytes(options: number): number;
  bankInit(bank: number, options: number): void;
  bankCheck(bank: number, bytes: number): number;
  bankRuns(bank: number): number;
  bankPush(bank: number, runs: number, signals: number, values: number, n: number, outputs: number, flags: number): number;
  bankEvict(bank: number, run: number): number;
  seriesBytes(): number;
  seriesInit(scorer: number, options: number): void;
  seriesScore(scorer: number, values: number, n: number, scores: number): void;
}

/** Runs a wasm call, turning a trap into an Error that names what was being done. */
export type TrapGuard = <T>(what: string, call: () => T) => T;

/** bankCheck's results (wasm/assembly/detect/bank.ts). */
const BANK_ERR_SHORT = -1;
const BANK_ERR_MAGIC = -2;
const BANK_ERR_OPTIONS = -3;

const OUT_WIDTH = DETECT_OUTPUTS.length;

/** The wording of native/src/detect/mod.rs (Options::from_vector). */
function optionProblem(index: number, vector: ArrayLike<number>): string {
  const o = DETECT_OPTIONS[index];
  return `option ${o.name} = ${vector[index]} breaks its rule \`${o.rule}\` (max_runs x max_signals <= ${MAX_STREAMS})`;
}

/** The detectors on the wasm backend. Banks and scorers are blocks of linear
 *  memory; a push copies its arrays in and the outputs out (one scratch block per call). */
export function wasmDetectors(wasm: WasmDetectExports, guard: TrapGuard): DetectorKernels {
  const allocate = (bytes: number, what: string) => {
    const ptr = guard(what, () => wasm.alloc(Math.max(bytes, 8))) >>> 0;
    if (ptr === 0) throw new RangeError(`${what}: ${bytes} bytes is too large for the WebAssembly backend`);
    return ptr;
  };
  /** Copies `vector` into linear memory for the duration of `use`. */
  const withOptions = <T>(vector: Float64Array, use: (ptr: number) => T): T => {
    const ptr = allocate(vector.byteLength, "allocating detector options");
    try {
      new Float64Array(wasm.memory.buffer, ptr, vector.length).set(vector);
      const invalid = wasm.detectInvalidOption(ptr);
      if (invalid >= 0) throw new Error(`${DETECT_OPTIONS_ERROR}: ${optionProblem(invalid, vector)}`);
      return use(ptr);
    } finally {
      wasm.free(ptr);
    }
  };
  return {
    layoutVersion: wasm.detectLayoutVersion(),
    createBank(options) {
      return withOptions(optionVector(options), (opts) => {
        const bytes = wasm.bankBytes(opts) >>> 0;
        const bank = allocate(bytes, "allocating a detector bank");
        wasm.bankInit(bank, opts);
        return new WasmBank(wasm, guard, bank, bytes, allocate);
      });
    },
    restoreBank(snapshot) {
      const bank = allocate(snapshot.length, "allocating a detector bank");
      new Uint8Array(wasm.memory.buffer, bank, snapshot.length).set(snapshot);
      const status = wasm.bankCheck(bank, snapshot.length);
      if (status !== 0) {
        // The option vector follows the magic number and the version (16 bytes).
        const problem =
          status === BANK_ERR_SHORT
            ? "not a detector bank snapshot: too short or not whole f64s"
            : status === BANK_ERR_MAGIC
              ? "not a detector bank snapshot: wrong magic number or layout version"
              : status === BANK_ERR_OPTIONS
                ? optionProblem(
                    wasm.detectInvalidOption(bank + 16),
                    new Float64Array(wasm.memory.buffer, bank + 16, DETECT_OPTIONS.length),
                  )
                : "not a detector bank snapshot: its size does not match its options";
        wasm.free(bank);
        throw new Error(`${DETECT_SNAPSHOT_ERROR}: ${problem}`);
      }
      return new WasmBank(wasm, guard, bank, snapshot.length, allocate);
    },
    createSeriesScorer(options) {
      return withOptions(optionVector(options), (opts) => {
        const scorer = allocate(wasm.seriesBytes(), "allocating a series scorer");
        wasm.seriesInit(scorer, opts);
        return new WasmSeriesScorer(wasm, guard, scorer, allocate);
      });
    },
  };
}

type Allocate = (bytes: number, what: string) => number;

/** A block's address, 0 once freed. */
class Block {
  #ptr: number;

  constructor(ptr: number) {
    this.#ptr = ptr;
  }

  get ptr(): number {
    if (this.#ptr === 0) throw new Error("this wasm detector object was already freed; create a new one");
    return this.#ptr;
  }

  release(): number {
    const ptr = this.ptr;
    this.#ptr = 0;
    return ptr;
  }
}

class WasmBank implements DetectorBank {
  readonly options: Readonly<Record<DetectorOptionName, number>>;
  readonly #block: Block;

  constructor(
    private readonly wasm: WasmDetectExports,
    private readonly guard: TrapGuard,
    bank: number,
    private readonly bytes: number,
    private readonly allocate: Allocate,
  ) {
    this.#block = new Block(bank);
    this.options = Object.freeze(optionRecord(new Float64Array(wasm.memory.buffer, bank + 16, DETECT_OPTIONS.length)));
  }

  get runs(): number {
    return this.wasm.bankRuns(this.#block.ptr);
  }

  push(runs: Uint32Array, signals: Uint32Array, values: Float64Array, outputs: Float64Array, flags: Int32Array): void {
    const bank = this.#block.ptr;
    const n = values.length;
    if (runs.length !== n || signals.length !== n || flags.length !== n || outputs.length !== n * OUT_WIDTH) {
      throw new Error(
        `${DETECT_SHAPE_ERROR}: runs (${runs.length}), signals (${signals.length}), values (${n}) and flags (${flags.length}) must have one entry per observation, outputs (${outputs.length}) ${OUT_WIDTH} per observation`,
      );
    }
    if (n === 0) return;
    // f64 arrays first, then the 4-byte ones: every array stays aligned.
    const at = { values: 0, outputs: 8 * n, runs: 8 * n * (1 + OUT_WIDTH) };
    const signalsAt = at.runs + 4 * n;
    const flagsAt = signalsAt + 4 * n;
    const scratch = this.allocate(flagsAt + 4 * n, "pushing into a detector bank");
    try {
      const buffer = this.wasm.memory.buffer;
      new Float64Array(buffer, scratch + at.values, n).set(values);
      new Uint32Array(buffer, scratch + at.runs, n).set(runs);
      new Uint32Array(buffer, scratch + signalsAt, n).set(signals);
      const status = this.guard("pushing into a detector bank", () =>
        this.wasm.bankPush(bank, scratch + at.runs, scratch + signalsAt, scratch + at.values, n, scratch + at.outputs, scratch + flagsAt),
      );
      if (status < 0) {
        const i = -status - 1;
        throw new Error(
          `${DETECT_SHAPE_ERROR}: signal ${signals[i]} of observation ${i} is not below max_signals (${this.options.max_signals})`,
        );
      }
      const after = this.wasm.memory.buffer;
      outputs.set(new Float64Array(after, scratch + at.outputs, n * OUT_WIDTH));
      flags.set(new Int32Array(after, scratch + flagsAt, n));
    } finally {
      this.wasm.free(scratch);
    }
  }

  snapshot(): Uint8Array {
    return new Uint8Array(this.wasm.memory.buffer, this.#block.ptr, this.bytes).slice();
  }

  evict(run: number): boolean {
    return this.wasm.bankEvict(this.#block.ptr, run >>> 0) === 1;
  }

  free(): void {
    this.wasm.free(this.#block.release());
  }
}

class WasmSeriesScorer implements SeriesScorer {
  readonly #block: Block;

  constructor(
    private readonly wasm: WasmDetectExports,
    private readonly guard: TrapGuard,
    scorer: number,
    private readonly allocate: Allocate,
  ) {
    this.#block = new Block(scorer);
  }

  score(values: Float64Array, scores: Float64Array): void {
    const scorer = this.#block.ptr;
    const n = values.length;
    if (scores.length !== n) throw new Error(`${DETECT_SHAPE_ERROR}: scores must be a separate array with one entry per value`);
    if (n === 0) return;
    const scratch = this.allocate(16 * n, "scoring a series");
    try {
      new Float64Array(this.wasm.memory.buffer, scratch, n).set(values);
      this.guard("scoring a series", () => this.wasm.seriesScore(scorer, scratch, n, scratch + 8 * n));
      scores.set(new Float64Array(this.wasm.memory.buffer, scratch + 8 * n, n));
    } finally {
      this.wasm.free(scratch);
    }
  }

  free(): void {
    this.wasm.free(this.#block.release());
  }
}
