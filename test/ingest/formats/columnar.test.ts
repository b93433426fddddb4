/** Canonical steps and trajectories tables in Arrow IPC and Parquet, written here with the same libraries. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { column, readAll, tempDir } from "./helpers.js";

const dir = tempDir();

const trajectories = {
  run: ["r1", "r1", "r1", "r1", "r2", "r2"],
  step: [7, 7, 7, 8, 7, 7],
  group: [0, 0, 1, 0, 0, 0],
  reward: [1, 0, null, 1, 0.5, 0.25],
  response: ["a", "b", "c", "d", "e", "f"], // text: not a column
};

describe("Arrow IPC tables", () => {
  it("reads a trajectories table (file format): consecutive rows of a (run, step) form a block, nulls are missing", async () => {
    const path = join(dir, "traj.arrow");
    writeFileSync(path, tableToIPC(tableFromArrays(trajectories), "file"));
    const { steps, report } = await readAll([path]);
    expect(report.formats.get(path)).toBe("arrow");
    // r1/7 completes when r1/8 starts; the rest at the end, runs in order of appearance.
    expect(steps.map((s) => `${s.run}/${s.step}:${s.trajectories?.rows}`)).toEqual(["r1/7:3", "r1/8:1", "r2/7:2"]);
    expect([...steps[0].trajectories!.columns.keys()]).toEqual(["group", "reward"]);
    expect(column(steps[0], "group")).toEqual([0, 0, 1]);
    expect(column(steps[0], "reward")).toEqual([1, 0, NaN]);
    expect(steps[0].trajectories?.missingCells).toBe(1);
    expect(report.problemCount).toBe(0);
  });

  it("reads a steps table (stream format), metrics under their own names, time kept", async () => {
    const path = join(dir, "steps.arrows");
    const table = tableFromArrays({
      run: ["a", "a"],
      step: new Int32Array([1, 2]),
      time: new Float64Array([100.5, 101.5]),
      reward_mean: new Float64Array([0.25, NaN]),
      kl: new Float64Array([0.1, 0.2]), // not canonical: kept as it is, not mapped
    });
    writeFileSync(path, tableToIPC(table, "stream"));
    const { steps } = await readAll([path]);
    expect(steps.map((s) => [s.run, s.step, s.time, s.metrics])).toEqual([
      ["a", 1, 100.5, { reward_mean: 0.25, kl: 0.1 }],
      ["a", 2, 101.5, { reward_mean: NaN, kl: 0.2 }],
    ]);
  });
});

describe("Parquet tables", () => {
  it("reads a trajectories table; run defaults to the path; a step out of order is skipped (canonical rule)", async () => {
    const path = join(dir, "traj.parquet");
    const { run: _run, ...columns } = trajectories;
    const buffer = parquetWriteBuffer({
      columnData: Object.entries(columns).map(([name, data]) => ({ name, data })),
    });
    writeFileSync(path, new Uint8Array(buffer));
    const { steps, report } = await readAll([path]);
    expect(report.formats.get(path)).toBe("parquet");
    expect(steps.map((s) => `${s.run === path}/${s.step}:${s.trajectories?.rows}`)).toEqual(["true/7:3", "true/8:1"]);
    expect(column(steps[0], "reward")).toEqual([1, 0, NaN]);
    expect(steps[0].trajectories?.missingCells).toBe(1);
    // Without run names, the r2 rows are step 7 of the same run again, after step 8: skipped, reported.
    expect(report.outOfOrderRecords).toBe(1);
    expect(report.problems[0]).toMatchObject({ source: path, line: 5, field: "step" });
  });

  it("is told the table by the rftfm:table metadata key", async () => {
    const path = join(dir, "declared.parquet");
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: "step", data: [1, 2] },
        { name: "reward", data: [0.5, 0.75] },
      ],
      kvMetadata: [{ key: "rftfm:table", value: "steps" }],
    });
    writeFileSync(path, new Uint8Array(buffer));
    const { steps } = await readAll([path], { run: "mine" });
    expect(steps.map((s) => [s.run, s.step, s.metrics, s.trajectories])).toEqual([
      ["mine", 1, { reward: 0.5 }, undefined],
      ["mine", 2, { reward: 0.75 }, undefined],
    ]);
  });
});
