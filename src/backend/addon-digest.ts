/**
 * The build digest of a native addon: `npm run build:native` writes
 * `<addon>.node.sha256` beside each addon it builds (scripts/write-addon-digests.ts),
 * in `sha256sum` format (`<hex>  <file name>`, so `sha256sum -c` checks it too),
 * and the loader compares the file with it before `require`.
 *
 * Why, beside the header check (addon-file.ts): the headers catch a file cut
 * short, not one whose bytes were replaced or damaged inside a segment (a
 * partial overwrite, a bad copy, another build dropped in). A digest catches
 * both. An addon without a digest file (built by `cargo`/`napi` by hand) is
 * checked by its headers only.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";

/** Where the digest of `addon` is kept. */
export function digestPath(addon: string): string {
  return `${addon}.sha256`;
}

/** The file's SHA-256, in hex. */
export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** Writes the digest file of `addon` (the build step); returns the digest. */
export function writeAddonDigest(addon: string): string {
  const hex = sha256File(addon);
  writeFileSync(digestPath(addon), `${hex}  ${basename(addon)}\n`);
  return hex;
}

/**
 * Why `addon` does not match its build digest, or `undefined` when it does or
 * when it has no digest file. Never throws: an unreadable or malformed digest
 * file is a reason too (a loader that cannot check must not load).
 */
export function addonDigestProblem(addon: string): string | undefined {
  const path = digestPath(addon);
  if (!existsSync(path)) return undefined;
  let expected: string;
  try {
    const text = readFileSync(path, "utf8").trim();
    const match = /^([0-9a-f]{64})\b/i.exec(text);
    if (!match) return `its build digest ${path} is not a sha256sum line`;
    expected = match[1].toLowerCase();
  } catch (error) {
    return `cannot read its build digest ${path}: ${(error as Error).message}`;
  }
  let actual: string;
  try {
    actual = sha256File(addon);
  } catch (error) {
    return `cannot read ${addon} to check its build digest: ${(error as Error).message}`;
  }
  return actual === expected ? undefined : `does not match its build digest ${basename(path)} (truncated or replaced?)`;
}
