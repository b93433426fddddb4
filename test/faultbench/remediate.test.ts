import { describe, expect, it } from "vitest";
import { DEFAULT_CORPUS } from "../../bench/faultbench/corpus.js";
import { REMEDIABLE_FAULTS } from "../../bench/faultbench/faults.js";
import { planRemediation, RECOVERY_TOLERANCE, runRemediation } from "../../bench/faultbench/remediate.js";

describe("faultbench remediate", () => {
  it("plans the remediable faults of the test seeds and every healthy run of those seeds", () => {
    const full = planRemediation({ corpus: DEFAULT_CORPUS, quick: false });
    expect(full.seeds).toEqual([7, 8, 9, 10]);
    expect(full.faulty).toHaveLength(4 * REMEDIABLE_FAULTS.size * 3);
    expect(full.healthy).toHaveLength(4 * DEFAULT_CORPUS.healthyPerSeed);
    const quick = planRemediation({ corpus: DEFAULT_CORPUS, quick: true });
    expect(quick.seeds).toEqual([7]);
    expect(quick.severities).toEqual(["severe"]);
    expect(quick.faulty.map((s) => s.fault!.fault).sort()).toEqual([...REMEDIABLE_FAULTS].sort());
    expect(quick.healthy.map((s) => s.id)).toContain("s7-healthy-0");
  });

  it("trains each run without and with the monitor, which acts on an alarm and judges recovery against the matched healthy run", async () => {
    // Ten steps: the fault starts mid-run and the monitor acts within them; the four
    // trainings are a few seconds of bounded work, in this process (workers: 0), so
    // no clock judges it: the test has no timeout (the `0` below), and a loaded
    // machine makes it slower, never failed.
    const report = await runRemediation({
      corpus: { seeds: 1, testSeeds: 1, healthyPerSeed: 1, steps: 10, baseSeed: 0 },
      observer: "monitor",
      quick: true,
      faults: ["worker_failure"],
      workers: 0,
    });
    expect(report.runs.map((r) => r.run)).toEqual(["s1-worker_failure-severe"]);
    expect(report.healthy.map((r) => r.run)).toEqual(["s1-healthy-0"]);
    const [run] = report.runs;
    // Rollout workers die: the monitor alarms, diagnoses worker_failure and restarts the workers.
    expect(run.actions.map((a) => a.action.kind)).toContain("restart_workers");
    expect(run.reference_accuracy).toBe(report.healthy[0].unmonitored_accuracy);
    expect(run.recovered).toBe(run.monitored_accuracy >= run.reference_accuracy - RECOVERY_TOLERANCE);
    expect(run.unremediated_recovered).toBe(run.unmonitored_accuracy >= run.reference_accuracy - RECOVERY_TOLERANCE);
    expect(report.recovered_share).toBe(run.recovered ? 1 : 0);
    expect(report.healthy_action_rate).toBe(report.healthy[0].actions.length > 0 ? 1 : 0);
    expect(report.per_fault).toEqual([
      {
        fault: "worker_failure",
        runs: 1,
        recovered: Number(run.recovered),
        unremediated_recovered: Number(run.unremediated_recovered),
      },
    ]);
  }, 0);

  it("gives the same closed loop through rftfm serve's protocol (the Python client's path) as through the API", async () => {
    const options = {
      corpus: { seeds: 1, testSeeds: 1, healthyPerSeed: 1, steps: 10, baseSeed: 0 },
      quick: true,
      faults: ["worker_failure"] as const,
      workers: 0,
    };
    const api = await runRemediation({ ...options, faults: [...options.faults], observer: "monitor" });
    const sidecar = await runRemediation({ ...options, faults: [...options.faults], observer: "sidecar" });
    expect(sidecar.runs[0].actions.map((a) => a.action.kind)).toContain("restart_workers");
    expect({ ...sidecar, observer: "monitor" }).toEqual(api);
  }, 0); // bounded work in this process, as above: no clock judges it
});
