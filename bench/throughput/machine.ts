/** The machine a benchmark ran on, for the JSON and docs/performance.md. */
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from "node:os";
import { backend } from "../../src/index.js";

export interface MachineInfo {
  cpu_model: string;
  cpus: number;
  available_parallelism: number;
  memory_gb: number;
  platform: string;
  node: string;
  /** The backend the library picked on its own (RFTFM_BACKEND or the addon's presence). */
  default_backend: string;
  /** 1, 5 and 15 minute load averages when the run started: on a shared machine, how contended it was. */
  load_average: number[];
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpu_model: list[0]?.model.trim() ?? "unknown",
    cpus: list.length,
    available_parallelism: availableParallelism(),
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${release()} ${process.arch}`,
    node: process.version,
    default_backend: backend,
    load_average: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
