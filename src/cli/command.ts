/** What every command module of the CLI is given, and what it is. */
import type { Command, Option } from "commander";
import type { Kernels } from "../backend/kernel.js";

export interface CliContext {
  /** `--backend native|wasm|auto`, for the commands that run kernels. */
  backendOption: Option;
  /** The kernels a `--backend` choice (or its absence: `$RFTFM_BACKEND`, then auto) selects. */
  kernelsFor(choice: string | undefined): Kernels;
}

/** A command module: adds its command (with its options, help and action) to the program. */
export type RegisterCommand = (program: Command, context: CliContext) => void;
