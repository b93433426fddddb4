/**
 * Colour in the readable output, only where a person reads it: on a terminal,
 * unless `NO_COLOR` is set (no-color.org: any non-empty value) or the terminal
 * is `dumb`. Piped or redirected output (a log file, `| grep`, CI) is always
 * plain text, so what scripts match never carries escape codes (`FORCE_COLOR`,
 * which test runners and CI set for their own output, is not followed).
 */

/** What decides: a stream's `isTTY` and, on a terminal, whether it has colours. */
export interface ColorTarget {
  isTTY?: boolean;
  hasColors?: () => boolean;
}

export function colorEnabled(stream: ColorTarget, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (stream.isTTY !== true || env.TERM === "dumb") return false;
  return stream.hasColors?.() ?? true;
}

/** The few styles the readable reports use; identity functions when colour is off. */
export interface Paint {
  /** An alarm, a failure. */
  alarm(text: string): string;
  /** A clean result. */
  ok(text: string): string;
}

const plain: Paint = { alarm: (t) => t, ok: (t) => t };
const sgr = (open: string, text: string) => `\x1b[${open}m${text}\x1b[0m`;
const colored: Paint = { alarm: (t) => sgr("1;31", t), ok: (t) => sgr("32", t) };

export function paintFor(stream: ColorTarget, env: NodeJS.ProcessEnv = process.env): Paint {
  return colorEnabled(stream, env) ? colored : plain;
}

export const PLAIN: Paint = plain;
