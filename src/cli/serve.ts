/**
 * `rftfm serve`: the sidecar a Python trainer talks to (docs/serve.md). NDJSON
 * over stdio (the default, what the pip client spawns), a Unix socket, or
 * loopback HTTP; state kept in --state-dir across restarts. Ends when stdin
 * ends (stdio) or on SIGINT / SIGTERM, saving its state first.
 */
import { type Command, InvalidArgumentError } from "commander";
import { startServer } from "../serve/server.js";
import { ACTION_KINDS, type ActionKind } from "../verdict/types.js";
import type { CliContext } from "./command.js";
import { numberArg } from "./number-arg.js";

export interface ServeCommandOptions {
  stdio?: boolean;
  socket?: string;
  http?: number;
  host?: string;
  stateDir?: string;
  fingerprints?: string;
  prior?: boolean;
  /** Calibration file of the runs' setup (`rftfm calibrate`). */
  calibration?: string;
  mode?: "act" | "advise";
  allow?: string;
  maxRuns?: number;
  backend?: string;
}

/** `halt,alert` -> the action kinds, or an error naming the unknown one. */
export function parseAllowed(text: string | undefined): ActionKind[] | undefined {
  if (text === undefined) return undefined;
  const kinds = text
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);
  for (const k of kinds)
    if (!ACTION_KINDS.includes(k as ActionKind))
      throw new Error(`--allow: unknown action kind ${k} (known: ${ACTION_KINDS.join(", ")})`);
  return kinds as ActionKind[];
}

const portNumber = numberArg({ min: 0, integer: true, expected: "a port number, 0 to 65535" });
const port = (text: string): number => {
  const n = portNumber(text);
  if (n > 65535) throw new InvalidArgumentError("expected a port number, 0 to 65535");
  return n;
};
const count = numberArg({ min: 1, integer: true, expected: "an integer, 1 or more" });

export function registerServe(program: Command, { backendOption, kernelsFor }: CliContext): void {
  program
    .command("serve")
    .description(
      "Run the monitor as a sidecar for a trainer in another language (the Python client spawns it): telemetry " +
        "records in, one verdict per step record out, as JSON lines, for many runs at once. Over stdio (default), " +
        "a Unix socket (--socket) and/or loopback HTTP (--http: POST /v1/observe, GET /v1/runs/RUN/summary, " +
        "GET /healthz, GET /metrics). With --state-dir the state is saved at every checkpoint event and on " +
        "SIGTERM, and restored at start.",
    )
    .option("--stdio", "serve on stdin/stdout (the default when neither --socket nor --http is given)")
    .option("--socket <path>", "listen on this Unix socket")
    .option("--http <port>", "listen on loopback HTTP at this port (0: any free port, printed on stderr)", port)
    .option("--host <host>", "loopback address for --http: 127.0.0.1 (default), ::1 or localhost")
    .option("--state-dir <dir>", "save the state here at checkpoint events and on exit; restore from it at start")
    .option("--fingerprints <file>", "fingerprint set for the monitor (default: the shipped one)")
    .option("--prior", "judge against the fingerprint set's healthy prior (see rftfm watch --help)")
    .option("--calibration <file>", "judge against this setup's healthy runs (rftfm calibrate), prior on")
    .option("--mode <mode>", "policy for runs no client configured: advise (default) or act")
    .option("--allow <kinds>", "with --mode act: the action kinds allowed, comma-separated (default: all)")
    .option("--max-runs <n>", "runs held at once (default 256)", count)
    .addOption(backendOption)
    .action(async (options: ServeCommandOptions) => {
      if (options.mode !== undefined && options.mode !== "act" && options.mode !== "advise")
        throw new Error(`--mode: expected act or advise, got ${options.mode}`);
      const allowed = parseAllowed(options.allow);
      const stdio = options.stdio || (options.socket === undefined && options.http === undefined);
      const server = await startServer({
        stateDir: options.stateDir,
        stdio: stdio ? { input: process.stdin, output: process.stdout } : undefined,
        socket: options.socket,
        http: options.http === undefined ? undefined : { port: options.http, host: options.host },
        monitor: {
          kernels: kernelsFor(options.backend),
          fingerprints: options.fingerprints,
          prior: options.prior,
          calibration: options.calibration,
          maxRuns: options.maxRuns,
        },
        defaultPolicy: { mode: options.mode ?? "advise", ...(allowed ? { allowed } : {}) },
      });
      const where = [server.url, server.socket && `unix:${server.socket}`, stdio && "stdio"].filter(Boolean);
      process.stderr.write(
        `rftfm serve: listening on ${where.join(", ")}${server.restored ? ` (state restored from ${options.stateDir})` : ""}\n`,
      );
      const stop = async (code: number) => {
        try {
          await server.stop();
        } catch (err) {
          process.stderr.write(`rftfm serve: saving state: ${(err as Error).message}\n`);
          code = 1;
        }
        process.exit(code);
      };
      process.once("SIGTERM", () => void stop(0));
      process.once("SIGINT", () => void stop(0));
      if (stdio) {
        await server.stdioDone;
        await stop(0);
      }
    });
}
