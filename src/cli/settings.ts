/**
 * The settings a team shares, from three places besides the command line: a
 * `RFTFM_*` environment variable, a config file (`rftfm.config.json`, or the
 * `[tool.rftfm]` table of `pyproject.toml`), and the option's default. The
 * flag wins over the environment, the environment over the file, the file
 * over the default. Each value goes through the option's own parser and
 * choices, so a bad one is refused as a bad flag would be, naming where it
 * came from (docs/cli.md).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Command, Option } from "commander";
import { parse as parseToml } from "smol-toml";
import { BACKEND_ENV } from "../backend/load.js";

/**
 * The shared options, by flag name. Left out on purpose: what names one
 * invocation's input or output (`--run`, `--corpus`, `--out`) and the modes of
 * one invocation (`--features`, `--once`).
 */
export const SHARED_SETTINGS = [
  "format",
  "num-generations",
  "reward-columns",
  "json",
  "fingerprints",
  "prior",
  "calibration",
  "fail-on",
  "strict",
  "backend",
  "poll",
  "settle",
  "idle-exit",
  "split",
] as const;

/** The file names looked for, in each directory from the working directory up. */
export const CONFIG_FILES = ["rftfm.config.json", "pyproject.toml"] as const;
/** Names a config file explicitly (instead of looking for one). */
export const CONFIG_ENV = "RFTFM_CONFIG";

/** `fail-on` -> `RFTFM_FAIL_ON`. */
export function envName(setting: string): string {
  return `RFTFM_${setting.toUpperCase().replace(/-/g, "_")}`;
}

/** A config file's settings: those for every command, and the tables per command (`scan`, `watch`, ...). */
export interface ConfigFile {
  path: string;
  settings: Record<string, unknown>;
}

/** A usage error in a setting: the CLI exits with status 2. */
export class SettingError extends Error {}

/**
 * The config file that applies in `cwd`: the one `RFTFM_CONFIG` names, else the
 * first `rftfm.config.json` or `pyproject.toml` with a `[tool.rftfm]` table found
 * from `cwd` upwards; undefined when there is none.
 */
export function findConfig(cwd: string, env: NodeJS.ProcessEnv): ConfigFile | undefined {
  const named = env[CONFIG_ENV];
  if (named) {
    const path = resolve(cwd, named);
    if (!existsSync(path)) throw new SettingError(`${CONFIG_ENV}=${named}: no such file`);
    const config = readConfig(path);
    if (!config) throw new SettingError(`${path}: no [tool.rftfm] table`);
    return config;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_FILES) {
      const path = join(dir, name);
      if (!existsSync(path)) continue;
      const config = readConfig(path);
      if (config) return config;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Reads one config file; undefined for a pyproject.toml without `[tool.rftfm]`. */
export function readConfig(path: string): ConfigFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new SettingError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = path.endsWith(".toml") ? parseToml(text) : JSON.parse(text);
  } catch (error) {
    throw new SettingError(
      `${path}: not valid ${path.endsWith(".toml") ? "TOML" : "JSON"}: ${(error as Error).message}`,
    );
  }
  if (path.endsWith(".toml")) {
    const tool = isTable(data) ? data.tool : undefined;
    data = isTable(tool) ? tool.rftfm : undefined;
    if (data === undefined) return undefined;
  }
  if (!isTable(data)) throw new SettingError(`${path}: expected a table of settings`);
  return { path, settings: data };
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `fail_on` and `failOn` are read as `fail-on`: pyproject.toml writers use each. */
function settingName(key: string): string {
  return key.replace(/_/g, "-").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The option of `command` a setting sets (its positive form, for `--prior`/`--no-prior`). */
function optionFor(command: Command, setting: string): Option | undefined {
  return command.options.find((o) => o.long === `--${setting}` && !o.negate);
}

/**
 * Fills in, for the command about to run, each shared option not given on the
 * command line: from its environment variable, else from the config file.
 * `commandPath` is the command's names below the program (`["fingerprints", "learn"]`),
 * whose tables in the file apply over its top-level settings.
 */
export function applySettings(
  command: Command,
  commandPath: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
  commandNames: ReadonlySet<string> = new Set(commandPath),
): void {
  const config = findConfig(cwd, env);
  const fromFile = config ? fileSettings(config, commandPath, commandNames) : new Map<string, unknown>();
  for (const setting of SHARED_SETTINGS) {
    const option = optionFor(command, setting);
    if (!option) continue;
    const key = option.attributeName();
    if (command.getOptionValueSource(key) === "cli") continue;
    const variable = envName(setting);
    const raw = env[variable];
    if (raw !== undefined && raw.trim() !== "") {
      // The library reads RFTFM_BACKEND itself (a bad value warns and means auto): left to it.
      if (variable === BACKEND_ENV) continue;
      command.setOptionValueWithSource(key, parseValue(option, raw.trim(), `${variable}=${raw}`, "env"), "env");
    } else if (fromFile.has(setting)) {
      const where = `${config?.path}: ${setting}`;
      command.setOptionValueWithSource(key, parseValue(option, fromFile.get(setting), where, "file"), "config");
    }
  }
}

/**
 * The file's settings for one command: the top level, then its command tables over
 * them. A table is a command's (`fingerprints` is a command and a setting: its table is
 * the command's); an unknown name or table is refused, so a typo does not go unnoticed.
 */
function fileSettings(
  config: ConfigFile,
  commandPath: readonly string[],
  commandNames: ReadonlySet<string>,
): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const take = (table: Record<string, unknown>, where: string, depth: number) => {
    for (const [key, value] of Object.entries(table)) {
      const name = settingName(key);
      if (isTable(value) && commandNames.has(key)) {
        if (depth < commandPath.length && key === commandPath[depth]) take(value, `${where}${key}.`, depth + 1);
      } else if ((SHARED_SETTINGS as readonly string[]).includes(name)) {
        out.set(name, value);
      } else {
        throw new SettingError(
          `${config.path}: ${where}${key} is not a setting or command rftfm knows (settings: ${SHARED_SETTINGS.join(", ")})`,
        );
      }
    }
  };
  take(config.settings, "", 0);
  return out;
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);

/** A setting's value through the option's parser and choices, as commander would treat the flag. */
function parseValue(option: Option, value: unknown, where: string, from: "env" | "file"): unknown {
  const flag = !option.required && !option.optional;
  if (flag) {
    if (typeof value === "boolean") return value;
    if (from === "env" && typeof value === "string") {
      const lower = value.toLowerCase();
      if (TRUE.has(lower)) return true;
      if (FALSE.has(lower)) return false;
    }
    throw new SettingError(
      `${where}: expected ${from === "env" ? "1, true, yes, on, 0, false, no or off" : "true or false"}`,
    );
  }
  let text: string;
  if (typeof value === "string") text = value;
  else if (typeof value === "number" && Number.isFinite(value)) text = String(value);
  else if (Array.isArray(value) && value.every((v) => typeof v === "string")) text = value.join(",");
  else throw new SettingError(`${where}: expected a string${option.parseArg ? ", a number or a list of strings" : ""}`);
  if (option.argChoices && !option.argChoices.includes(text)) {
    throw new SettingError(`${where}: ${text} is not one of ${option.argChoices.join(", ")}`);
  }
  if (!option.parseArg) return text;
  try {
    return option.parseArg(text, undefined as never);
  } catch (error) {
    throw new SettingError(`${where}: ${(error as Error).message}`);
  }
}
