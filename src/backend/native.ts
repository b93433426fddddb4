import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { addonDigestProblem } from "./addon-digest.js";
import { addonFileProblem } from "./addon-file.js";
import {
  checkAccumulation,
  checkBankPush,
  checkBankSnapshot,
  checkFingerprintSet,
  checkMatch,
  checkPriorScore,
  checkPriorTable,
  checkScanBatch,
  checkSeriesScore,
  checkTrendBatch,
  optionRecord,
  optionVector,
} from "./checks.js";
import { DETECT_VERSION } from "./generated/detect.js";
import { LAYOUT_VERSION } from "./generated/layout.js";
import {
  type BatchShape,
  type DetectorBank,
  type DetectorKernels,
  type Kernels,
  presenceSlots,
  type ScanBatch,
} from "./kernel.js";
import { packageRoot } from "./package-root.js";

/**
 * What the napi-rs addon exports, as napi-rs declares it: `native/binding.d.ts`
 * is generated from the `#[napi]` items of native/src/binding/ by `npm run
 * build:native` (not committed), so the build comes before the typecheck.
 */
type NativeBinding = typeof import("../../native/binding.js");
/** The addon's DetectorBank class (native/src/binding/detect.rs). */
type NativeBank = InstanceType<NativeBinding["DetectorBank"]>;

/**
 * Loads the napi-rs addon through the loader napi-rs generated
 * (`native/binding.cjs`, which picks the `.node` file for this platform).
 * Throws when the addon is missing, built for another platform or ABI, or built
 * from another feature layout.
 */
export function loadNativeKernels(bindingPath = defaultBindingPath()): Kernels {
  const binding = requireBinding(bindingPath);
  const layoutVersion = binding.layoutVersion();
  if (layoutVersion !== LAYOUT_VERSION) {
    throw new Error(
      `the native addon was built for feature layout v${layoutVersion}, this package expects v${LAYOUT_VERSION}; rebuild it with npm run build:native`,
    );
  }
  const detectVersion = binding.detectLayoutVersion();
  if (detectVersion !== DETECT_VERSION) {
    throw new Error(
      `the native addon was built for detector layout v${detectVersion}, this package expects v${DETECT_VERSION}; rebuild it with npm run build:native`,
    );
  }
  const featureCount = (columns: number) => binding.featureCount(columns);
  return {
    name: "native",
    layoutVersion,
    featureCount,
    allocBatch: (shape) => heapBatch(shape, featureCount(shape.columns)),
    freeBatch: () => {},
    scan: (b) => {
      checkScanBatch(b, featureCount);
      binding.scanBatch(b.values, b.groups, b.prompts, b.offsets, b.present, b.columns, b.out);
    },
    detectors: nativeDetectors(binding, detectVersion),
  };
}

/**
 * Bench aid (docs/kernels.md, "Bench aids"): the addon's read-once sum over a
 * borrowed Float64Array, the memory roofline the benchmark sets the scanner
 * beside. Native only; the library never calls it. Throws as loadNativeKernels does.
 */
export function loadNativeRoofline(bindingPath = defaultBindingPath()): (values: Float64Array) => number {
  const binding = requireBinding(bindingPath);
  return (values) => binding.rooflineSum(values);
}

function defaultBindingPath(): string {
  return join(packageRoot(), "native", "binding.cjs");
}

/** The addon through napi-rs's generated loader, its files checked first. */
function requireBinding(bindingPath: string): NativeBinding {
  checkAddonFiles(dirname(bindingPath));
  try {
    return createRequire(import.meta.url)(bindingPath) as NativeBinding;
  } catch (error) {
    // No `cause`: the generated loader's outer error blames npm, and the warning would repeat it.
    throw new Error(`the native addon did not load: ${firstLoadError(error)}`);
  }
}

/**
 * The addon files `binding.cjs` may load on this platform (`rftfm.<platform>-<arch>[-abi].node`
 * beside it, or the file `NAPI_RS_NATIVE_LIBRARY_PATH` names), each checked against its
 * build digest and its headers first (addonProblem): a truncated file would kill the process
 * with SIGBUS inside dlopen, where no error can be caught. Throws naming the file and what is wrong with it, or that no
 * addon was built for this platform (rather than the generated loader's guess at an npm bug).
 */
function checkAddonFiles(dir: string, env: NodeJS.ProcessEnv = process.env): void {
  const override = env.NAPI_RS_NATIVE_LIBRARY_PATH;
  if (override) {
    if (override.endsWith(".node")) {
      const problem = addonProblem(override);
      if (problem) throw new Error(`refusing to load the native addon: ${problem}`);
    }
    return;
  }
  const platform = `${process.platform}-${process.arch}`;
  const prefixes = [`rftfm.${platform}.`, `rftfm.${platform}-`];
  if (process.platform === "darwin") prefixes.push("rftfm.darwin-universal.");
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new Error(`no native addon: cannot read ${dir}: ${(error as Error).message}`);
  }
  const candidates = names.filter((n) => n.endsWith(".node") && prefixes.some((p) => n.startsWith(p)));
  if (candidates.length === 0) {
    throw new Error(`no native addon built for ${platform} in ${dir} (npm run build:native builds it)`);
  }
  for (const name of candidates) {
    const problem = addonProblem(join(dir, name));
    if (problem) throw new Error(`refusing to load the native addon: ${problem}`);
  }
}

/**
 * Why an addon file must not be loaded: it does not match the digest the build wrote
 * beside it (addon-digest.ts: catches a file replaced or damaged inside), and/or its headers
 * run past its end (addon-file.ts: catches a file cut short, with or without a digest).
 */
function addonProblem(path: string): string | undefined {
  const digest = addonDigestProblem(path);
  const headers = addonFileProblem(path);
  if (digest === undefined) return headers;
  return `${path} ${digest}${headers === undefined ? "" : `; ${headers}`}`;
}

/**
 * The first thing that went wrong inside the generated loader: it chains its load errors
 * last-first under a generic "Cannot find native binding" (which blames npm), so the
 * innermost cause is the attempt on the local file, the one that names the real reason.
 */
function firstLoadError(error: unknown): string {
  let innermost = error;
  for (let depth = 0; depth < 32 && innermost instanceof Error && innermost.cause !== undefined; depth++) {
    innermost = innermost.cause;
  }
  const message = innermost instanceof Error ? innermost.message : String(innermost);
  return message.split("\n")[0] ?? message;
}

/** The addon's detectors behind the kernel interface; its classes already do the work. */
function nativeDetectors(binding: NativeBinding, layoutVersion: number): DetectorKernels {
  return {
    layoutVersion,
    createBank: (options) => wrapBank(new binding.DetectorBank(optionVector(options))),
    restoreBank: (snapshot) => {
      checkBankSnapshot(snapshot);
      return wrapBank(binding.DetectorBank.restore(snapshot));
    },
    createSeriesScorer: (options) => {
      const scorer = new binding.SeriesScorer(optionVector(options));
      return {
        score: (values, scores) => {
          checkSeriesScore(values, scores);
          scorer.score(values, scores);
        },
        free: () => {},
      };
    },
    createPrior: (table) => {
      const { signals, buckets } = checkPriorTable(table);
      const prior = new binding.PriorScorer(signals, buckets, table.center, table.scale);
      return {
        signals,
        buckets,
        score: (ids, steps, values, z) => {
          checkPriorScore(ids, steps, values, z, signals);
          prior.score(ids, steps, values, z);
        },
        free: () => {},
      };
    },
    priorAccumulate: (sums, z, settings, alarms) => {
      checkAccumulation(sums, z, settings, alarms);
      binding.priorAccumulate(sums, z, settings.k, settings.clip, settings.h, alarms);
    },
    trendStep: (states, values, codes, trials, outputs, flags) => {
      checkTrendBatch(states, values, codes, trials, outputs, flags);
      binding.trendStep(states, values, codes, trials, outputs, flags);
    },
    createMatcher: (set) => {
      const { fingerprints, dims } = checkFingerprintSet(set);
      const matcher = new binding.FingerprintMatcher(fingerprints, dims, set.centroids, set.weights);
      return {
        fingerprints,
        dims,
        match: (vector, temperature, similarity, confidence) => {
          checkMatch(vector, temperature, similarity, confidence, fingerprints, dims);
          return matcher.match(vector, temperature, similarity, confidence);
        },
        free: () => {},
      };
    },
  };
}

function wrapBank(bank: NativeBank): DetectorBank {
  const options = Object.freeze(optionRecord(bank.options));
  return {
    options,
    get runs() {
      return bank.runs;
    },
    push: (runs, signals, values, outputs, flags) => {
      checkBankPush(runs, signals, values, outputs, flags, options.max_signals);
      bank.push(runs, signals, values, outputs, flags);
    },
    // A plain Uint8Array over the Buffer's bytes, as the wasm backend returns.
    snapshot: () => {
      const bytes = bank.snapshot();
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    evict: (run) => bank.evict(run),
    free: () => {},
  };
}

/** A batch in ordinary GC-owned typed arrays; Rust borrows them as slices. */
function heapBatch(shape: BatchShape, features: number): ScanBatch {
  const { columns, steps, rows } = shape;
  return {
    columns,
    steps,
    rows,
    values: new Float64Array(columns * rows),
    groups: new Int32Array(rows),
    prompts: new Float64Array(rows),
    offsets: new Uint32Array(steps + 1),
    present: new Uint8Array(steps * presenceSlots(columns)),
    out: new Float64Array(steps * features),
  };
}
