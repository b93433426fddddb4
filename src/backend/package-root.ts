import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/**
 * The directory of rftfm's own package.json. The build artifacts (`native/`,
 * `wasm/build/`) live there; found by walking up because this module runs both
 * from `src/backend/` (tests) and from the bundled `dist/`.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "rftfm") {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`rftfm: cannot find the package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
