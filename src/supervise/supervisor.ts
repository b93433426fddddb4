/**
 * `rftfm run -- CMD...`: runs a training command under the sidecar and does
 * what a trainer cannot do from inside its own loop (docs/serve.md).
 *
 * The sidecar listens on a Unix socket in a private temporary folder; the
 * command gets `RFTFM_URL` (the Python client connects there) and
 * `RFTFM_SUPERVISOR=1` (its callback then hands rollbacks and restarts here).
 * On a verdict's `rollback` (to_step N) or `restart_workers`, the supervisor
 * stops the command (SIGTERM, then SIGKILL after the grace period) and
 * relaunches it from the latest checkpoint at or before N that the trainer
 * reported (`checkpoint` events), appending the resume template's arguments;
 * relaunches are bounded and each one is reported. A `halt` ends the run: the
 * trainer is given the grace period to save and stop by itself, and the
 * supervisor exits with EXIT_HALTED.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MonitorOptions } from "../monitor/monitor.js";
import { type RunningServer, startServer } from "../serve/server.js";
import type { RunPolicy } from "../serve/session.js";
import type { EventRecord } from "../telemetry/records.js";
import type { Action, Verdict } from "../verdict/types.js";

/** The exit status when the monitor halted the run. */
export const EXIT_HALTED = 3;
/** The exit status when a rollback or restart was needed but the relaunch budget was spent. */
export const EXIT_RELAUNCHES_SPENT = 4;

export interface SuperviseOptions {
  /** The training command and its arguments. */
  command: string[];
  /** Arguments added on a relaunch, split at spaces: `{step}` and `{path}` are the checkpoint's step and path. */
  resumeArg?: string;
  /** Most relaunches (default 2). */
  maxRelaunches?: number;
  /** Milliseconds a stopping command gets between SIGTERM and SIGKILL, and a halted one to stop by itself (default 30 s). */
  graceMs?: number;
  stateDir?: string;
  /** Policy for runs the client does not configure (default: act, all actions). */
  defaultPolicy?: RunPolicy;
  monitor?: Omit<MonitorOptions, "policyFor">;
  /** Where the supervisor's reports go, one JSON object each (default: stderr, as JSON lines). */
  report?: (event: Record<string, unknown>) => void;
  env?: NodeJS.ProcessEnv;
}

interface Checkpoint {
  step: number;
  path?: string;
}

/** The template's arguments for a checkpoint: `--resume_from_checkpoint {path}` -> two arguments. */
export function resumeArgs(template: string | undefined, checkpoint: Checkpoint): string[] {
  if (!template) return [];
  return template
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => part.replaceAll("{step}", String(checkpoint.step)).replaceAll("{path}", checkpoint.path ?? ""));
}

/** Runs the command to its end; resolves with the supervisor's exit status. */
export async function supervise(options: SuperviseOptions): Promise<number> {
  const report = options.report ?? ((e) => process.stderr.write(`rftfm run: ${JSON.stringify(e)}\n`));
  const grace = options.graceMs ?? 30_000;
  const maxRelaunches = options.maxRelaunches ?? 2;
  const dir = mkdtempSync(join(tmpdir(), "rftfm-run-"));
  const socket = join(dir, "rftfm.sock");
  const checkpoints = new Map<string, Checkpoint[]>();
  let child: ChildProcess | undefined;
  let relaunches = 0;
  let halted: Verdict | undefined;
  let pending: { verdict: Verdict; action: Action; from: Checkpoint } | undefined;
  let spent = false;

  const stop = (proc: ChildProcess) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), grace);
    proc.once("exit", () => clearTimeout(timer));
  };

  const onVerdict = (verdict: Verdict, events: readonly EventRecord[]) => {
    for (const e of events) {
      if (e.name !== "checkpoint") continue;
      const list = checkpoints.get(verdict.run) ?? [];
      list.push({ step: e.step, path: typeof e.data.path === "string" ? e.data.path : undefined });
      checkpoints.set(verdict.run, list);
    }
    if (halted || pending || spent) return;
    for (const action of verdict.actions) {
      if (action.kind === "halt") {
        halted = verdict;
        report({ kind: "halt", run: verdict.run, step: verdict.step, reason: action.reason });
        // The trainer's callback saves and stops; past the grace period it is stopped.
        const proc = child;
        if (proc) setTimeout(() => stop(proc), grace).unref();
        return;
      }
      if (action.kind === "rollback" || action.kind === "restart_workers") {
        const limit = action.kind === "rollback" ? action.to_step : Infinity;
        const from = (checkpoints.get(verdict.run) ?? []).filter((c) => c.step <= limit).at(-1);
        if (!from) {
          report({
            kind: "refused",
            run: verdict.run,
            step: verdict.step,
            action,
            reason: "no checkpoint at or before it",
          });
          continue;
        }
        if (relaunches >= maxRelaunches) {
          spent = true;
          report({ kind: "relaunches_spent", run: verdict.run, step: verdict.step, action, relaunches });
          if (child) stop(child);
          return;
        }
        pending = { verdict, action, from };
        if (child) stop(child);
        return;
      }
    }
  };

  let server: RunningServer | undefined;
  try {
    server = await startServer({
      socket,
      stateDir: options.stateDir,
      monitor: options.monitor,
      defaultPolicy: options.defaultPolicy ?? { mode: "act" },
      onVerdict,
    });
    const env = { ...process.env, ...options.env, RFTFM_URL: `unix://${socket}`, RFTFM_SUPERVISOR: "1" };
    const launch = (args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
      const proc = spawn(options.command[0], [...options.command.slice(1), ...args], { stdio: "inherit", env });
      child = proc;
      return new Promise((resolve) => {
        proc.once("error", (err) => {
          report({ kind: "error", error: `${options.command[0]}: ${err.message}` });
          resolve({ code: 127, signal: null });
        });
        proc.once("exit", (code, signal) => resolve({ code, signal }));
      });
    };
    const forward = (signal: NodeJS.Signals) => () => {
      if (child) child.kill(signal);
    };
    const onInt = forward("SIGINT");
    const onTerm = forward("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    try {
      let args: string[] = [];
      for (;;) {
        const { code, signal } = await launch(args);
        if (halted) return EXIT_HALTED;
        if (spent) return EXIT_RELAUNCHES_SPENT;
        const relaunch = pending;
        if (!relaunch) return code ?? 128 + signalNumber(signal);
        pending = undefined;
        relaunches++;
        args = resumeArgs(options.resumeArg, relaunch.from);
        const { run, step } = relaunch.verdict;
        report({
          kind: "relaunch",
          n: relaunches,
          of: maxRelaunches,
          run,
          step,
          action: relaunch.action,
          from_step: relaunch.from.step,
          path: relaunch.from.path ?? null,
          args,
        });
        // The monitor judges what follows against a fresh baseline: the action was applied.
        server.session.handle({
          kind: "event",
          run,
          step: relaunch.from.step,
          name: "action_applied",
          action: relaunch.action.kind,
        });
      }
    } finally {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    }
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const table: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return signal ? (table[signal] ?? 0) : 0;
}
