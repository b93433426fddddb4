#!/usr/bin/env node
// Turns dependency-cruiser's text output (one "from → to" line per import
// between collapsed folders, read on stdin) into the Mermaid drawing of the
// rooms in docs/architecture.md: the throughput benchmarks `bench/*.bench.ts`
// drawn as one node, `src/index.ts` (which imports every room) left out, and
// the CLI's one load by location (src/cli/bench.ts, not an import) drawn dotted.
import { readFileSync } from "node:fs";

const node = (path) => path.replace(/\/$/, "").replace(/^bench\/[^/]+\.bench\.ts$/, "bench/*.bench.ts");
const edges = [];
for (const line of readFileSync(0, "utf8").split("\n")) {
  const m = /^(\S+) → (\S+)$/.exec(line.trim());
  if (!m) continue;
  const [from, to] = [node(m[1]), node(m[2])];
  if (from === "src/index.ts" || from === to) continue;
  if (!edges.some(([a, b]) => a === from && b === to)) edges.push([from, to]);
}
const ids = new Map();
const ref = (name) => {
  if (ids.has(name)) return `n${ids.get(name)}`;
  ids.set(name, ids.size);
  return `n${ids.size - 1}["${name}"]`;
};
const lines = ["flowchart TD"];
for (const [from, to] of edges) lines.push(`  ${ref(from)} --> ${ref(to)}`);
lines.push(`  ${ref("src/cli")} -. loads by location, only for demo and faultbench .-> ${ref("bench/cli")}`);
console.log(lines.join("\n"));
