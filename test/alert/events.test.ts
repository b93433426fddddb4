import { describe, expect, it } from "vitest";
import { AlertEvents } from "../../src/alert/events.js";
import { VerdictAlerts } from "../../src/alert/index.js";
import { EpisodeTracker } from "../../src/verdict/episodes.js";
import type { Diagnosis, Verdict } from "../../src/verdict/types.js";

const d = (fault: Diagnosis["fault"], confidence = 0.7): Diagnosis => ({
  fault,
  family: "optimization_dynamics",
  confidence,
  evidence: [`${fault} evidence`],
});
const v = (step: number, more: Partial<Verdict> = {}): Verdict => ({
  run: "r",
  step,
  anomalous: false,
  anomalies: [],
  diagnosis: [],
  actions: [],
  ...more,
});
const alarm = { signal: "kl_ref", score: 9.1, direction: "up", detector: "cusum" } as const;

/** An episode at 3-5 (diagnosis from 4, changing at 5, an action at 5), quiet at 6, a second episode at 8. */
const stream: Verdict[] = [
  v(1),
  v(2),
  v(3, { anomalous: true, anomalies: [alarm] }),
  v(4, { anomalous: true, anomalies: [alarm], diagnosis: [d("lr_too_high")] }),
  v(5, { diagnosis: [d("kl_penalty_off"), d("lr_too_high", 0.5)], actions: [{ kind: "scale_lr", factor: 0.5 }] }),
  v(6),
  v(7, { recommendations: [{ kind: "alert", message: "look" }] }),
  v(8, { anomalous: true, anomalies: [alarm], diagnosis: [d("lr_too_high")] }),
];

describe("EpisodeTracker (episodes from the verdicts alone)", () => {
  it("opens at an anomalous verdict, stays open while diagnosing, closes at the first quiet one", () => {
    const t = new EpisodeTracker();
    const changes = stream.map((x) => t.observe(x));
    expect(changes.map((c) => c.opened)).toEqual([
      undefined,
      undefined,
      3,
      undefined,
      undefined,
      undefined,
      undefined,
      8,
    ]);
    expect(changes[5].closed).toEqual({ start: 3, end: 5 });
    expect(changes.map((c) => c.diagnosisChanged?.to)).toEqual([
      undefined,
      undefined,
      undefined,
      "lr_too_high",
      "kl_penalty_off",
      undefined,
      undefined,
      "lr_too_high",
    ]);
    expect(changes[4].diagnosisChanged?.from).toBe("lr_too_high");
    expect(t.openEpisode("r")).toBe(8);
  });
});

describe("AlertEvents", () => {
  it("raises one alarm per episode, one event per diagnosis change, one per step with actions", () => {
    const events = new AlertEvents();
    const raised = stream.flatMap((x) => events.observe(x));
    expect(raised.map((e) => [e.kind, e.step, e.episode_start])).toEqual([
      ["alarm", 3, 3],
      ["diagnosis", 4, 3],
      ["diagnosis", 5, 3],
      ["action", 5, 3],
      ["action", 7, null],
      // The second episode's alarm carries its diagnosis: no separate diagnosis event.
      ["alarm", 8, 8],
    ]);
    expect(raised[0].text).toBe("rftfm: run r: alarm at step 3: kl_ref +9.1σ (cusum); diagnosis none yet");
    expect(raised[2].text).toBe(
      "rftfm: run r: diagnosis at step 5: kl_penalty_off (optimization_dynamics, confidence 0.70), was lr_too_high; kl_penalty_off evidence",
    );
    expect(raised[2].previous_fault).toBe("lr_too_high");
    expect(raised[3].text).toBe("rftfm: run r: step 5: actions scale_lr 0.5");
    expect(raised[4].text).toBe("rftfm: run r: step 7: recommended alert");
    expect(raised[5].text).toContain("diagnosis lr_too_high (optimization_dynamics, confidence 0.70)");
  });

  it("VerdictAlerts hands each event to its sink and never throws, even when the sink does", () => {
    const seen: string[] = [];
    const ok = new VerdictAlerts({ send: (e) => seen.push(`${e.kind}@${e.step}`) });
    for (const x of stream) ok.observe(x);
    expect(seen).toEqual(["alarm@3", "diagnosis@4", "diagnosis@5", "action@5", "action@7", "alarm@8"]);
    const broken = new VerdictAlerts({
      send: () => {
        throw new Error("down");
      },
    });
    expect(() => {
      for (const x of stream) broken.observe(x);
    }).not.toThrow();
  });
});
