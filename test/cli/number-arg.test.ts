import { describe, expect, it } from "vitest";
import { numberArg } from "../../src/cli/number-arg.js";

describe("numberArg", () => {
  it("keeps each bound and says what it expected", () => {
    const atLeastOne = numberArg({ integer: true, min: 1, expected: "a whole number >= 1" });
    expect(atLeastOne("3")).toBe(3);
    for (const bad of ["0", "1.5", "x", "9007199254740993"])
      expect(() => atLeastOne(bad)).toThrow("expected a whole number >= 1");
    const positive = numberArg({ min: 0, exclusive: true, expected: "a number > 0" });
    expect(positive("0.25")).toBe(0.25);
    for (const bad of ["0", "-1", "Infinity", "NaN"]) expect(() => positive(bad)).toThrow("expected a number > 0");
    const seconds = numberArg({ min: 0, expected: "a number of seconds, 0 or more" });
    expect(seconds("0")).toBe(0);
    expect(() => seconds("-0.1")).toThrow("expected a number of seconds, 0 or more");
  });
});
