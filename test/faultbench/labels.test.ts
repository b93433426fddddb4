import { describe, expect, it } from "vitest";
import { DEFAULT_CORPUS, planCorpus } from "../../bench/faultbench/corpus.js";
import { CONFIGURATION_FAULTS, FAULT_FAMILIES, FAULT_IDS, HEALTHY, SEVERITIES } from "../../bench/faultbench/faults.js";

const { specs, labels } = planCorpus(DEFAULT_CORPUS);
const entries = Object.entries(labels.runs);
/** The corpus seed a run belongs to: that of its matched healthy run. */
const corpusSeed = (run: string) => labels.runs[labels.runs[run].matched_healthy].seed;
const seeds = [...new Set(entries.map(([run]) => corpusSeed(run)))];

describe("fault benchmark labels", () => {
  it("plans the documented default corpus: 10 seeds x (12 healthy + 16 faults x 3 severities) = 600 runs", () => {
    expect(specs).toHaveLength(600);
    expect(entries).toHaveLength(600);
    expect(seeds).toHaveLength(DEFAULT_CORPUS.seeds);
    expect(new Set(entries.map(([, e]) => e.file)).size).toBe(600);
  });

  it("covers every fault x severity x seed, with more healthy runs than any fault type has", () => {
    for (const seed of seeds) {
      for (const fault of FAULT_IDS) {
        for (const severity of SEVERITIES) {
          expect(
            entries.filter(([run, e]) => corpusSeed(run) === seed && e.fault === fault && e.severity === severity),
          ).toHaveLength(1);
        }
      }
    }
    const healthy = entries.filter(([, e]) => e.fault === HEALTHY).length;
    for (const fault of FAULT_IDS)
      expect(healthy).toBeGreaterThanOrEqual(entries.filter(([, e]) => e.fault === fault).length);
  });

  it("agrees with the specs it labels", () => {
    for (const spec of specs) {
      const e = labels.runs[spec.id];
      expect(e.fault).toBe(spec.fault?.fault ?? HEALTHY);
      expect(e.family).toBe(spec.fault ? FAULT_FAMILIES[spec.fault.fault] : HEALTHY);
      expect(e.severity).toBe(spec.fault?.severity ?? null);
      expect(e.onset).toBe(spec.fault?.onset ?? null);
      expect([e.seed, e.steps, e.hparams]).toEqual([spec.seed, spec.steps, spec.hparams]);
      // The matched healthy run: same seed and settings, no fault.
      const matched = specs.find((s) => s.id === e.matched_healthy)!;
      expect(matched.fault).toBeNull();
      if (spec.fault) expect([matched.seed, matched.hparams]).toEqual([spec.seed, spec.hparams]);
    }
  });

  it("puts configuration faults at onset 0 and the others mid-run", () => {
    for (const [, e] of entries) {
      if (e.fault === HEALTHY) continue;
      if (CONFIGURATION_FAULTS.has(e.fault)) expect(e.onset).toBe(0);
      else {
        expect(e.onset).toBeGreaterThanOrEqual(Math.round(0.25 * e.steps));
        expect(e.onset).toBeLessThanOrEqual(Math.round(0.7 * e.steps));
      }
    }
  });

  it("splits by seed: the last seeds are the test split, and no seed is in both", () => {
    const splitOf = new Map<number, Set<string>>();
    for (const [run, e] of entries)
      splitOf.set(corpusSeed(run), (splitOf.get(corpusSeed(run)) ?? new Set()).add(e.split));
    for (const splits of splitOf.values()) expect(splits.size).toBe(1);
    const testSeeds = seeds.filter((s) => splitOf.get(s)!.has("test"));
    expect(testSeeds).toEqual(seeds.slice(-DEFAULT_CORPUS.testSeeds));
    // Training seeds of healthy variants never reappear across splits either.
    const trainSeeds = new Set(entries.filter(([, e]) => e.split === "train").map(([, e]) => e.seed));
    expect(entries.filter(([, e]) => e.split === "test" && trainSeeds.has(e.seed))).toEqual([]);
  });
});
