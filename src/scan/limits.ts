/**
 * How big a trajectory tensor the scanner takes. The WebAssembly backend holds
 * a kernel call's batch in linear memory (at most about 1 GiB), and every
 * canonical column gets a block whether a step sent it or not: without a bound
 * a step the addon scans would fail on wasm, and the two backends would
 * disagree (issue 13, item 11). Both bounds hold on every backend.
 */
import { CANONICAL_COLUMNS } from "../backend/generated/layout.js";

/** Most rows (trajectories) of one step's tensor: 2^20 (1,048,576), the serve transport's pending bound too. */
export const MAX_TENSOR_ROWS = 2 ** 20;

/**
 * Most cells (rows x (canonical columns + the step's extra columns)) of one
 * step's tensor, and of one kernel call: 2^26 (512 MiB of f64), so a batch
 * stays well inside the WebAssembly backend's linear memory.
 */
export const MAX_TENSOR_CELLS = 2 ** 26;

/** The cells a batch of `rows` rows with `extras` extra columns packs (every canonical column has a block). */
export const packedCells = (rows: number, extras: number): number => rows * (CANONICAL_COLUMNS.length + extras);
