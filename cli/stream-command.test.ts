import { describe, expect, it } from "vitest";
import { UsageError } from "./args.js";
import { parseChangeThreshold } from "./stream-command.js";

describe("parseChangeThreshold (--change-threshold)", () => {
  it.each([
    [undefined, undefined],
    ["0", 0],
    ["0.02", 0.02],
    ["0.999", 0.999],
  ])("%s -> %s", (raw, want) => {
    expect(parseChangeThreshold(raw)).toBe(want);
  });

  it.each(["1", "-0.1", "abc", "", "NaN", "Infinity"])("%s is refused, naming the flag and the range", (raw) => {
    expect(() => parseChangeThreshold(raw)).toThrow(UsageError);
    expect(() => parseChangeThreshold(raw)).toThrow(/--change-threshold .*0 up to \(not including\) 1/);
  });
});
