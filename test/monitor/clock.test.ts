import { describe, expect, it } from "vitest";
import { clockCheckpoints, MAX_CHECKPOINTS, newClock, tick, toClock, toTrainer } from "../../src/monitor/clock.js";

describe("a run's clock for the policy", () => {
  it("is the trainer's step while steps go up", () => {
    const clock = newClock();
    expect([0, 1, 2, 5].map((s) => tick(clock, s, []))).toEqual([0, 1, 2, 5]);
    expect(clock.offset).toBe(0);
  });

  it("keeps counting when the trainer goes back to a checkpoint's step numbers", () => {
    const clock = newClock();
    for (let s = 0; s <= 24; s++) tick(clock, s, s > 0 && s % 5 === 1 ? [s - 1] : []);
    expect(clockCheckpoints(clock)).toEqual([0, 5, 10, 15, 20]);
    // Rolled back to 15: the trainer counts 16, 17, ... again; the clock goes on from 25.
    expect(tick(clock, 16, [])).toBe(25);
    expect(tick(clock, 17, [])).toBe(26);
    expect(toClock(clock, 17)).toBe(26);
    // A checkpoint saved at the new step 20 arrives with step 21.
    tick(clock, 18, []);
    tick(clock, 19, []);
    tick(clock, 20, []);
    expect(tick(clock, 21, [20])).toBe(30);
    expect(clockCheckpoints(clock)).toEqual([0, 5, 10, 15, 20, 29]);
    // A rollback the policy asks for in clock units names the trainer's step of that checkpoint.
    expect(toTrainer(clock, { kind: "rollback", to_step: 29 })).toEqual({ kind: "rollback", to_step: 20 });
    expect(toTrainer(clock, { kind: "rollback", to_step: 27 })).toEqual({ kind: "rollback", to_step: 20 });
    expect(toTrainer(clock, { kind: "rollback", to_step: 12 })).toEqual({ kind: "rollback", to_step: 10 });
    expect(toTrainer(clock, { kind: "scale_lr", factor: 0.5 })).toEqual({ kind: "scale_lr", factor: 0.5 });
  });

  it("records a checkpoint of the old numbering, reported after the rewind, at the old offset", () => {
    const clock = newClock();
    for (let s = 0; s <= 10; s++) tick(clock, s, []);
    // The checkpoint of step 10 (old numbering) travels with the first renumbered step, 6.
    tick(clock, 6, [10]);
    expect(clock.checkpoints).toEqual([{ step: 10, clock: 10 }]);
    expect(clock.last).toBe(11);
  });

  it("a rollback with no checkpoint at or before it goes to the run's start", () => {
    const clock = newClock();
    tick(clock, 3, []);
    expect(toTrainer(clock, { kind: "rollback", to_step: 2 })).toEqual({ kind: "rollback", to_step: 2 });
    expect(toTrainer(clock, { kind: "rollback", to_step: -4 })).toEqual({ kind: "rollback", to_step: 0 });
  });

  it("keeps one entry per checkpoint reported twice, and a bounded list when every step is a checkpoint", () => {
    const clock = newClock();
    tick(clock, 5, [4, 4]);
    tick(clock, 6, [4]);
    expect(clockCheckpoints(clock)).toEqual([4]);
    const busy = newClock();
    for (let s = 1; s <= 10_000; s++) tick(busy, s, [s - 1]);
    const kept = clockCheckpoints(busy);
    expect(kept.length).toBeLessThanOrEqual(MAX_CHECKPOINTS);
    // The first and the newest ones stay; a rollback to before a recent onset still finds one close by.
    expect(kept[0]).toBe(0);
    expect(kept.at(-1)).toBe(9_999);
    expect(kept.slice(-16)).toEqual(Array.from({ length: 16 }, (_, i) => 9_984 + i));
  });
});
