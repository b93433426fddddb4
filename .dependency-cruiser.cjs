/**
 * The house rules, checked by `npm run lint` (`npm run deps` alone; docs/architecture.md
 * draws the rooms). Every room of src/ may import only the rooms listed for it,
 * which are below it: the imports point one way and no two rooms import each
 * other. The library never imports the benchmark; the benchmark imports the
 * library only through its public API (src/index.ts); no module imports itself
 * round a cycle.
 */

/** Each room of src/ and the rooms it may use. A new room gets a line here. */
const ROOMS = {
  backend: [],
  telemetry: [],
  verdict: ["telemetry", "backend"],
  ingest: ["telemetry"],
  scan: ["backend", "telemetry"],
  series: ["backend"],
  diagnosis: ["verdict"],
  remediation: ["verdict"],
  detect: ["backend", "verdict"],
  monitor: ["backend", "telemetry", "verdict", "ingest", "scan", "detect", "diagnosis", "remediation"],
  loop: ["monitor", "verdict"],
  report: ["backend", "telemetry", "verdict"],
  alert: ["verdict"],
  serve: ["monitor", "telemetry", "verdict", "remediation"],
  supervise: ["serve", "monitor", "telemetry", "verdict"],
  cli: [
    "backend",
    "telemetry",
    "verdict",
    "ingest",
    "scan",
    "series",
    "detect",
    "diagnosis",
    "remediation",
    "monitor",
    "report",
    "alert",
    "serve",
    "supervise",
  ],
};

const roomRules = Object.entries(ROOMS).map(([room, uses]) => ({
  name: `room-${room}`,
  comment: `src/${room} may import only ${uses.length ? uses.map((u) => `src/${u}`).join(", ") : "no other room"}`,
  severity: "error",
  from: { path: `^src/${room}/` },
  to: { path: "^src/", pathNot: `^src/(${[room, ...uses].join("|")})/` },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "modules that import each other, directly or round a longer cycle",
      severity: "error",
      from: { path: "^(src|bench)/" },
      to: { circular: true },
    },
    {
      name: "library-not-bench",
      comment: "the library and its CLI never import the benchmark (the CLI loads it by location: src/cli/bench.ts)",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^bench/" },
    },
    {
      name: "bench-through-public-api",
      comment: "the benchmark uses the library as its users do: through src/index.ts",
      severity: "error",
      from: { path: "^bench/" },
      to: { path: "^src/", pathNot: "^src/index\\.ts$" },
    },
    {
      name: "room-unknown",
      comment: "every folder of src/ is a room listed in ROOMS (.dependency-cruiser.cjs)",
      severity: "error",
      from: { path: "^src/[^/]+/", pathNot: `^src/(${Object.keys(ROOMS).join("|")})/` },
      to: {},
    },
    ...roomRules,
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports are dependencies too: they tie the rooms together as much as values do.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
