/**
 * Deterministic GRPO-shaped trajectory tensors for benchmarks: P prompts x G
 * samples per step, every canonical column filled. Not a model of any real run:
 * only sizes and value ranges matter for throughput.
 */
import { CANONICAL_COLUMNS } from "../src/index.js";
import { seededRandom } from "./random.js";

export interface SyntheticStep {
  run: string;
  step: number;
  trajectories: { rows: number; columns: Map<string, Float64Array> };
}

export function syntheticSteps(steps: number, rows: number, groupSize = 8, seed = 1): SyntheticStep[] {
  const { uniform: rand } = seededRandom(seed);
  return Array.from({ length: steps }, (_, step) => {
    const columns = new Map<string, Float64Array>();
    for (const name of CANONICAL_COLUMNS) {
      const values = new Float64Array(rows);
      for (let i = 0; i < rows; i++) values[i] = rand() < 0.5 ? Math.round(rand()) : rand() * 100;
      columns.set(name, values);
    }
    columns.set(
      "group",
      Float64Array.from({ length: rows }, (_, i) => Math.floor(i / groupSize)),
    );
    return { run: "bench", step, trajectories: { rows, columns } };
  });
}
