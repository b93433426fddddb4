import { InvalidArgumentError } from "commander";

export interface NumberArgRule {
  /** Whole numbers only (safe integers). */
  integer?: boolean;
  /** Smallest accepted value. */
  min: number;
  /** Whether `min` itself is refused (a number strictly above it). */
  exclusive?: boolean;
  /** What the error says was expected, e.g. `a whole number >= 1`. */
  expected: string;
}

/** A commander argument parser for a number option, refusing values outside `rule` with a clear message. */
export function numberArg(rule: NumberArgRule): (text: string) => number {
  return (text) => {
    const n = Number(text);
    const kind = rule.integer ? Number.isSafeInteger(n) : Number.isFinite(n);
    const inRange = rule.exclusive ? n > rule.min : n >= rule.min;
    if (!kind || !inRange) throw new InvalidArgumentError(`expected ${rule.expected}`);
    return n;
  };
}
