import type { Plugin } from "esbuild";
import { defineConfig } from "tsup";

/**
 * The benchmark reaches the library through its public API (src/index.ts);
 * in the package that is the library's own bundle beside it, not a copy.
 */
const libraryFromPackage: Plugin = {
  name: "library-from-package",
  setup(build) {
    build.onResolve({ filter: /\/src\/index\.js$/ }, () => ({ path: "./index.js", external: true }));
  },
};

// The library ships ESM first plus a CommonJS build for `require`, each with
// its own declaration file; the CLI is an ESM entry with a shebang. The
// benchmark's commands (demo, faultbench) and its worker are bundles of their
// own, which the CLI loads only when they are asked for (src/cli/bench.ts).
export default defineConfig([
  {
    entry: { index: "src/index.ts" },
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    shims: true,
  },
  {
    entry: { cli: "src/cli/main.ts" },
    format: ["esm"],
    sourcemap: true,
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
  },
  {
    // The CLI with its dependencies inlined, for the pip package (python/): it carries this one file with the
    // native addon and the wasm build, and needs no node_modules. `require` for the CommonJS ones among them.
    entry: { "rftfm-standalone": "src/cli/main.ts" },
    outDir: "dist/standalone",
    format: ["esm"],
    target: "node20",
    platform: "node",
    noExternal: [/.*/],
    banner: {
      js: "import { createRequire as __rftfmRequire } from 'node:module'; const require = __rftfmRequire(import.meta.url);",
    },
  },
  {
    entry: { faultbench: "bench/cli/index.ts", "faultbench-worker": "bench/faultbench/worker.ts" },
    format: ["esm"],
    sourcemap: true,
    target: "node20",
    splitting: true,
    esbuildPlugins: [libraryFromPackage],
  },
]);
