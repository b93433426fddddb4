/**
 * `rftfm run [options] -- CMD...`: runs a training command under the sidecar;
 * a rollback or restart becomes "stop, relaunch CMD from checkpoint N", a
 * halt ends it with exit status 3 (src/supervise, docs/serve.md).
 */
import type { Command } from "commander";
import { EXIT_HALTED, EXIT_RELAUNCHES_SPENT, supervise } from "../supervise/supervisor.js";
import type { CliContext } from "./command.js";
import { numberArg } from "./number-arg.js";
import { parseAllowed } from "./serve.js";

interface RunCommandOptions {
  resumeArg?: string;
  maxRelaunches?: number;
  grace?: number;
  stateDir?: string;
  fingerprints?: string;
  mode?: string;
  allow?: string;
  backend?: string;
}

const count = numberArg({ min: 0, integer: true, expected: "an integer, 0 or more" });
const seconds = numberArg({ min: 0, expected: "a number of seconds, 0 or more" });

export function registerRun(program: Command, { backendOption, kernelsFor }: CliContext): void {
  program
    .command("run")
    .description(
      "Run a training command under the monitor's sidecar (its client finds it through RFTFM_URL) and do what " +
        "the trainer cannot do in its own loop: on a rollback or restart_workers, stop the command and relaunch it " +
        "from the latest checkpoint it reported at or before the rollback step (with --resume-arg), at most " +
        `--max-relaunches times, each reported on stderr; on a halt, let it save and stop and exit with status ${EXIT_HALTED} ` +
        `(${EXIT_RELAUNCHES_SPENT}: a relaunch was needed but the budget was spent; otherwise the command's own status).`,
    )
    .argument("<command...>", "the training command, after --")
    .option(
      "--resume-arg <template>",
      "arguments added on a relaunch; {path} and {step} are the checkpoint's, e.g. '--resume_from_checkpoint {path}'",
    )
    .option("--max-relaunches <n>", "most relaunches (default 2)", count)
    .option("--grace <seconds>", "time between SIGTERM and SIGKILL, and for a halted run to stop (default 30)", seconds)
    .option("--state-dir <dir>", "the sidecar's state folder (see rftfm serve)")
    .option("--fingerprints <file>", "fingerprint set for the monitor (default: the shipped one)")
    .option("--mode <mode>", "policy for runs the client does not configure: act (default) or advise")
    .option("--allow <kinds>", "action kinds allowed for such runs, comma-separated (default: all)")
    .addOption(backendOption)
    .addHelpText("after", "\nExample:\n  rftfm run --resume-arg '--resume_from_checkpoint {path}' -- python train.py")
    .action(async (command: string[], options: RunCommandOptions) => {
      if (options.mode !== undefined && options.mode !== "act" && options.mode !== "advise")
        throw new Error(`--mode: expected act or advise, got ${options.mode}`);
      const allowed = parseAllowed(options.allow);
      process.exitCode = await supervise({
        command,
        resumeArg: options.resumeArg,
        maxRelaunches: options.maxRelaunches,
        graceMs: options.grace === undefined ? undefined : options.grace * 1000,
        stateDir: options.stateDir,
        monitor: { kernels: kernelsFor(options.backend), fingerprints: options.fingerprints },
        defaultPolicy: {
          mode: (options.mode as "act" | "advise" | undefined) ?? "act",
          ...(allowed ? { allowed } : {}),
        },
      });
    });
}
