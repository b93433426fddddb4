/**
 * The benchmark's commands in the rftfm CLI: `rftfm demo` and `rftfm faultbench ...`.
 * The CLI loads this entry (bundled as dist/faultbench.js) only when one of them
 * is asked for, and lends it its helpers; the commands reach the library
 * through its public API alone.
 */
import type { Command } from "commander";
import { registerDemo } from "./demo.js";
import { registerFaultbench } from "./faultbench.js";
import type { CliTools } from "./tools.js";

export type { CliTools } from "./tools.js";

export function registerBenchCommands(program: Command, tools: CliTools): void {
  registerDemo(program, tools);
  registerFaultbench(program, tools);
}
