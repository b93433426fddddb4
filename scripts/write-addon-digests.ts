/**
 * Runs after `napi build` (npm run build:native): writes the build digest of
 * the addon it built for this platform, `native/rftfm.<platform>-<arch>[-abi].node.sha256`
 * (src/backend/addon-digest.ts), which the loader checks before `require`.
 * Only this platform's addons: a file built elsewhere comes with its own digest,
 * and re-digesting it here would bless whatever it has become.
 * Files named on the command line are digested instead.
 */
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { writeAddonDigest } from "../src/backend/addon-digest.js";

const root = join(import.meta.dirname, "..");
const native = join(root, "native");
const platform = `${process.platform}-${process.arch}`;
const named = process.argv.slice(2);
const addons =
  named.length > 0
    ? named
    : readdirSync(native)
        .filter(
          (n) => n.endsWith(".node") && (n.startsWith(`rftfm.${platform}.`) || n.startsWith(`rftfm.${platform}-`)),
        )
        .map((n) => join(native, n));
if (addons.length === 0) {
  console.error(`write-addon-digests: no addon for ${platform} in ${native} (run napi build first)`);
  process.exit(1);
}
for (const addon of addons) {
  const hex = writeAddonDigest(addon);
  console.log(`${relative(root, addon)}.sha256: ${hex}`);
}
