import { fileURLToPath } from "node:url";
import { type ReadTelemetryOptions, readTelemetry, type StepData } from "../../../src/index.js";
import { collect } from "../../telemetry/helpers.js";

export { collect, tempDir } from "../../telemetry/helpers.js";

/** Path of a fixture written in a trainer's format, under test/fixtures/formats. */
export function formatFixture(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/formats/${name}`, import.meta.url));
}

/** Every step of the sources, and the report. */
export async function readAll(sources: Parameters<typeof readTelemetry>[0], options: ReadTelemetryOptions = {}) {
  const { steps, report } = readTelemetry(sources, options);
  const out = await collect(steps);
  return { steps: out, report };
}

/** A step's column as a plain array. */
export function column(step: StepData, name: string): number[] {
  return Array.from(step.trajectories?.columns.get(name) ?? []);
}
