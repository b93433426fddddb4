import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const root = join(import.meta.dirname, "../..");

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source (so the tests follow the code, not the last build) in a child process. */
export function runCli(
  args: string[],
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): CliResult {
  // tsx resolved here, so that the CLI can run in another working directory (config file tests).
  const tsx = import.meta.resolve("tsx");
  const result = spawnSync(process.execPath, ["--import", tsx, join(root, "src/cli/main.ts"), ...args], {
    cwd: options.cwd ?? root,
    input: options.input,
    env: { ...process.env, ...options.env },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}
