// Detector state for many (run, signal) streams in bounded memory. Mirrors
// native/src/detect/bank.rs (eviction policy there and in docs/detectors.md).
//
// A bank is one block of f64s laid out exactly as a snapshot, so a snapshot is
// a copy of the block and both builds write the same bytes:
// [magic, version, options (N_OPT), tick, keys (max_runs), last seen (max_runs),
//  states (max_runs x max_signals x N_STATE)]. A free slot's key is -1.

import { field, invalidOption, observe, setField } from "./mod";
import {
  DETECT_VERSION,
  FLAG_EVICTED,
  FLAG_NEW_RUN,
  N_OPT,
  N_OUT,
  N_STATE,
  OPT_MAX_RUNS,
  OPT_MAX_SIGNALS,
  SNAP_HEADER,
  SNAP_MAGIC,
  SNAP_OPTIONS,
  SNAP_TICK,
  SNAP_VERSION,
  SNAPSHOT_MAGIC,
} from "../generated/detect";

const FREE: f64 = -1.0;
// The header's fields (layout/detect.json `snapshot_header`).
const MAGIC: i32 = SNAP_MAGIC;
const VERSION: i32 = SNAP_VERSION;
const OPTIONS: i32 = SNAP_OPTIONS;
const TICK: i32 = SNAP_TICK;
/** f64s before the run keys. */
const HEADER: i32 = SNAP_HEADER;

/** bankCheck results: a defence behind src/backend/checks.ts (checkSnapshot), reported by number. */
export const BANK_OK: i32 = 0;
export const BANK_ERR_SHORT: i32 = -1;
export const BANK_ERR_MAGIC: i32 = -2;
export const BANK_ERR_OPTIONS: i32 = -3;
export const BANK_ERR_SIZE: i32 = -4;

// @ts-ignore: decorator
@inline
function maxRuns(bank: usize): i32 {
  return <i32>field(bank, OPTIONS + OPT_MAX_RUNS);
}

// @ts-ignore: decorator
@inline
function maxSignals(bank: usize): i32 {
  return <i32>field(bank, OPTIONS + OPT_MAX_SIGNALS);
}

// @ts-ignore: decorator
@inline
function keys(bank: usize): usize {
  return bank + (<usize>HEADER << 3);
}

// @ts-ignore: decorator
@inline
function lastSeen(bank: usize): usize {
  return keys(bank) + (<usize>maxRuns(bank) << 3);
}

// @ts-ignore: decorator
@inline
function states(bank: usize): usize {
  return lastSeen(bank) + (<usize>maxRuns(bank) << 3);
}

/** Bytes of a bank with the (valid) options at `opts`. */
export function bankBytes(opts: usize): usize {
  const runs = <usize>field(opts, OPT_MAX_RUNS);
  const streams = runs * <usize>field(opts, OPT_MAX_SIGNALS);
  return (<usize>HEADER + 2 * runs + streams * <usize>N_STATE) << 3;
}

/** Lays out a fresh bank in the bankBytes(opts) bytes at `bank`. */
export function bankInit(bank: usize, opts: usize): void {
  memory.fill(bank, 0, bankBytes(opts));
  setField(bank, MAGIC, SNAPSHOT_MAGIC);
  setField(bank, VERSION, <f64>DETECT_VERSION);
  memory.copy(bank + (<usize>OPTIONS << 3), opts, <usize>N_OPT << 3);
  const runs = maxRuns(bank);
  for (let r = 0; r < runs; r++) setField(keys(bank), r, FREE);
}

/** Checks that the `bytes` bytes at `bank` are a snapshot of this layout. */
export function bankCheck(bank: usize, bytes: usize): i32 {
  if ((bytes & 7) != 0 || bytes < (<usize>HEADER << 3)) return BANK_ERR_SHORT;
  if (field(bank, MAGIC) != SNAPSHOT_MAGIC || field(bank, VERSION) != <f64>DETECT_VERSION) return BANK_ERR_MAGIC;
  if (invalidOption(bank + (<usize>OPTIONS << 3)) >= 0) return BANK_ERR_OPTIONS;
  return bankBytes(bank + (<usize>OPTIONS << 3)) == bytes ? BANK_OK : BANK_ERR_SIZE;
}

/** Runs held now. */
export function bankRuns(bank: usize): i32 {
  let held = 0;
  const runs = maxRuns(bank);
  for (let r = 0; r < runs; r++) if (field(keys(bank), r) != FREE) held++;
  return held;
}

/** Feeds `n` observations (u32 runs, u32 signals, f64 values), writing N_OUT
 *  outputs and one i32 flag word each. Returns 0, or -(i + 1) when the signal
 *  of observation i is not below max_signals (nothing learnt then). */
export function bankPush(bank: usize, runs: usize, signals: usize, values: usize, n: i32, outputs: usize, flags: usize): i32 {
  const width = <u32>maxSignals(bank);
  for (let i = 0; i < n; i++) {
    if (load<u32>(signals + (<usize>i << 2)) >= width) return -(i + 1);
  }
  let cachedRun: u32 = 0;
  let cachedSlot: i32 = -1;
  for (let i = 0; i < n; i++) {
    const tick = field(bank, TICK) + 1.0;
    setField(bank, TICK, tick);
    const run = load<u32>(runs + (<usize>i << 2));
    let f = 0;
    let slot = cachedSlot;
    if (slot < 0 || run != cachedRun) {
      slot = slotOf(bank, run);
      f = slotFlags;
      cachedRun = run;
      cachedSlot = slot;
    }
    setField(lastSeen(bank), slot, tick);
    const signal = <usize>load<u32>(signals + (<usize>i << 2));
    const stream = states(bank) + ((<usize>slot * <usize>width + signal) * <usize>N_STATE << 3);
    const row = outputs + (<usize>i * <usize>N_OUT << 3);
    const x = load<f64>(values + (<usize>i << 3));
    store<i32>(flags + (<usize>i << 2), f | observe(stream, x, bank + (<usize>OPTIONS << 3), row));
  }
  return 0;
}

/** How slotOf found its slot: 0, FLAG_NEW_RUN, or FLAG_NEW_RUN | FLAG_EVICTED. */
let slotFlags: i32 = 0;

/** The slot of `run`, taking one (and zeroing its streams) when the bank does not hold it. */
function slotOf(bank: usize, run: u32): i32 {
  const key = <f64>run;
  const runs = maxRuns(bank);
  let free = -1;
  for (let r = 0; r < runs; r++) {
    const k = field(keys(bank), r);
    if (k == key) {
      slotFlags = 0;
      return r;
    }
    if (k == FREE && free < 0) free = r;
  }
  let slot = free;
  slotFlags = FLAG_NEW_RUN;
  if (slot < 0) {
    slot = leastRecent(bank);
    slotFlags = FLAG_NEW_RUN | FLAG_EVICTED;
  }
  setField(keys(bank), slot, key);
  clearStreams(bank, slot);
  return slot;
}

function leastRecent(bank: usize): i32 {
  const seen = lastSeen(bank);
  const runs = maxRuns(bank);
  let best = 0;
  for (let r = 1; r < runs; r++) {
    if (field(seen, r) < field(seen, best)) best = r;
  }
  return best;
}

function clearStreams(bank: usize, slot: i32): void {
  const width = <usize>maxSignals(bank) * <usize>N_STATE << 3;
  memory.fill(states(bank) + <usize>slot * width, 0, width);
}

/** Drops `run`'s state; 0 when the bank did not hold it. */
export function bankEvict(bank: usize, run: u32): i32 {
  const key = <f64>run;
  const runs = maxRuns(bank);
  for (let r = 0; r < runs; r++) {
    if (field(keys(bank), r) == key) {
      setField(keys(bank), r, FREE);
      setField(lastSeen(bank), r, 0.0);
      clearStreams(bank, r);
      return 1;
    }
  }
  return 0;
}
