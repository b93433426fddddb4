import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ServeSession } from "../../src/serve/session.js";
import { StateStore } from "../../src/serve/state.js";
import { encodeJson } from "../../src/telemetry/encode.js";
import { kernels, runLines } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "rftfm-serve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const session = (restored?: ConstructorParameters<typeof ServeSession>[1]) =>
  new ServeSession({ monitor: { kernels }, onError: () => {} }, restored);
const send = (s: ServeSession, value: unknown) => s.handleLine(encodeJson(value));
/** A verdict without the fields that are not a decision (the id). */
const decision = (reply: Record<string, unknown> | undefined) => {
  const { id: _id, ...rest } = reply ?? {};
  return rest;
};

describe("ServeSession", () => {
  it("answers a step record with its verdict, echoing the request id", () => {
    const s = session();
    const reply = send(s, { kind: "step", run: "a", step: 0, id: "q1", metrics: { reward_mean: 0.5 } });
    expect(reply).toMatchObject({ kind: "verdict", run: "a", step: 0, id: "q1", anomalous: false, actions: [] });
    s.close();
  });

  it("holds trajectories and events sent ahead of their step, and replies only to the step", () => {
    const s = session();
    expect(send(s, { kind: "trajectories", run: "a", step: 3, columns: { reward: [1, 0], group: [0, 0] } })).toBe(
      undefined,
    );
    expect(send(s, { kind: "trajectory", run: "a", step: 3, reward: 1, group: 1 })).toBe(undefined);
    expect(send(s, { kind: "event", run: "a", step: 3, name: "checkpoint" })).toBe(undefined);
    const reply = send(s, { kind: "step", run: "a", step: 3, metrics: { reward_mean: 0.5 } });
    expect(reply?.kind).toBe("verdict");
    expect(reply?.errors).toBeUndefined();
    s.close();
  });

  it("reads binary float64 columns ({f64: base64}) as the same numbers, NaN included, and names a bad one", () => {
    const s = session();
    const values = [1, 0, Number.NaN, 0.25];
    const f64 = Buffer.from(Float64Array.from(values).buffer).toString("base64");
    const judge = (run: string, columns: Record<string, unknown>) =>
      decision(send(s, { kind: "step", run, step: 0, metrics: { reward_mean: 0.5 }, trajectories: columns }));
    const group = [0, 0, 1, 1];
    expect(judge("bin", { reward: { f64 }, group })).toEqual({
      ...judge("text", { reward: values, group }),
      run: "bin",
    });
    const bad = send(s, { kind: "step", run: "x", step: 0, metrics: {}, trajectories: { reward: { f64: "AAAA" } } });
    expect(String(bad?.errors)).toMatch(/columns\.reward/);
    s.close();
  });

  it("refuses bad lines with an error reply naming the field, and counts them", () => {
    const s = session();
    expect(s.handleLine("{not json")).toMatchObject({ kind: "error" });
    expect(send(s, { kind: "step", run: "a", step: -1, metrics: {} })).toMatchObject({ kind: "error", field: "step" });
    expect(send(s, { kind: "bogus", run: "a", step: 0 })).toMatchObject({ kind: "error", field: "kind" });
    expect(send(s, { kind: "configure", run: "a", mode: "act", allowed: ["explode"] })).toMatchObject({
      kind: "error",
      field: "allowed",
    });
    expect(s.counters.badLines).toBe(3);
    s.close();
  });

  it("gives a configured run its own policy: act with halt allowed halts on NaN rewards, advise only recommends", () => {
    const s = session();
    expect(send(s, { kind: "configure", run: "act", mode: "act", allowed: ["halt", "alert"] })).toMatchObject({
      kind: "configured",
    });
    const actions = (run: string) =>
      runLines(run, 30, 20)
        .map((line) => send(s, { ...line, run }))
        .flatMap((v) => (v?.actions as { kind: string }[]) ?? []);
    expect(actions("act").map((a) => a.kind)).toContain("halt");
    expect(actions("adv")).toEqual([]);
    expect(send(s, { kind: "configure", run: "act", mode: "advise" })).toMatchObject({ kind: "error" });
    expect(send(s, { kind: "summary", run: "act" })).toMatchObject({ kind: "summary", alarm: true });
    s.close();
  });

  it("continues with identical verdicts after a snapshot, a trip through the state file and a restore", () => {
    const lines = [...runLines("r1", 40, 25), ...runLines("r2", 40)];
    lines.sort((a, b) => (a.step as number) - (b.step as number));
    const setup = (s: ServeSession) => send(s, { kind: "configure", run: "r1", mode: "act", allowed: ["halt"] });
    const straight = session();
    setup(straight);
    const expected = lines.map((l) => decision(send(straight, structuredClone(l))));
    straight.close();

    const cut = 44; // mid-run for both runs, after r1's checkpoint at step 19
    const first = session();
    setup(first);
    const before = lines.slice(0, cut).map((l) => decision(send(first, structuredClone(l))));
    const store = new StateStore(join(dir, "restore"));
    store.save(first.snapshot());
    first.close();
    const second = session(store.load());
    const after = lines.slice(cut).map((l) => decision(send(second, structuredClone(l))));
    second.close();
    expect([...before, ...after]).toEqual(expected);
    expect(expected.some((v) => v.anomalous)).toBe(true);
  });

  it("refuses a state file whose monitor snapshot was damaged on disk, naming the checksum (issue 13, item 6)", () => {
    const first = session();
    for (const line of runLines("r1", 12)) send(first, line);
    const store = new StateStore(join(dir, "damaged"));
    store.save(first.snapshot());
    first.close();
    const text = readFileSync(store.path, "utf8");
    // One number of the run's history, changed in place (as a bad sector or a careless edit would).
    const damaged = text.replace(/"observed":(\d+)/, (_, k) => `"observed":${Number(k) + 1}`);
    expect(damaged).not.toBe(text);
    writeFileSync(store.path, damaged);
    expect(() => session(store.load())).toThrow(/Monitor\.restore: checksum mismatch/);
  });

  it("refuses a state file whose saved policies are not policies, naming the field (issue 13, item 6)", () => {
    const first = session();
    send(first, { kind: "configure", run: "r1", mode: "advise", allowed: ["alert"] });
    for (const line of runLines("r1", 5)) send(first, line);
    const snapshot = first.snapshot();
    first.close();
    expect(() => session(structuredClone(snapshot))).not.toThrow();
    const cases: [unknown, RegExp][] = [
      [[["r1", { mode: "act!" }]], /policies\.0\.1\.mode/],
      [[["r1", { mode: "act", allowed: ["explode"] }]], /policies\.0\.1\.allowed\.0/],
      [[["r1", { mode: "act", reference: { lr: "fast" } }]], /policies\.0\.1\.reference\.lr/],
      [[[7, { mode: "act" }]], /policies\.0\.0/],
      [null, /policies/],
    ];
    for (const [policies, message] of cases)
      expect(() => session({ ...structuredClone(snapshot), policies } as never)).toThrow(message);
  });
});
