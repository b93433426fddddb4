/**
 * Writes the name table of the log adapters (src/ingest/parse/names.ts) to
 * dist/names.json, for the Python client (python/): its TRL callback maps the
 * names TRL logs through the very table the TRL log adapter uses, carried in
 * the wheel, rather than through a copy kept by hand.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { COLUMN_ALIASES, LOGGER_PREFIX, METRIC_ALIASES } from "../src/ingest/parse/names.js";
import { CANONICAL_METRICS, CANONICAL_TRAJECTORY_COLUMNS } from "../src/telemetry/records.js";

const out = join(import.meta.dirname, "..", "dist", "names.json");
mkdirSync(join(out, ".."), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      canonical_metrics: CANONICAL_METRICS,
      canonical_columns: CANONICAL_TRAJECTORY_COLUMNS,
      logger_prefix: LOGGER_PREFIX,
      metric_aliases: METRIC_ALIASES.map(({ foreign, canonical }) => [foreign, canonical]),
      column_aliases: COLUMN_ALIASES.map(({ foreign, canonical }) => [foreign, canonical]),
    },
    null,
    1,
  )}\n`,
);
