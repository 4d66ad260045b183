import { describe, expect, it } from "vitest";
import { defaultPreprocessWorkers, engineDefaults, makeEngineOptions } from "./engine-options.js";
import { isFlorenceError } from "./errors.js";

function violationsOf(init: Record<string, unknown>): { field: string; description: string }[] {
  try {
    makeEngineOptions({ model: "m", ...init });
  } catch (e) {
    if (isFlorenceError(e) && e.kind === "invalid_argument")
      return e.violations.map((v) => ({ field: v.field, description: v.description }));
    throw e;
  }
  return [];
}

describe("defaultPreprocessWorkers", () => {
  it.each([
    [1, 1],
    [2, 1],
    [8, 1],
    [16, 2],
    [31, 3],
    [64, 4],
    [256, 4],
  ])("%i cores -> %i threads", (cores, threads) => {
    expect(defaultPreprocessWorkers(cores)).toBe(threads);
  });
});

describe("makeEngineOptions", () => {
  it("fills in the documented defaults", () => {
    expect(makeEngineOptions({ model: "m" })).toEqual({ ...engineDefaults, model: "m" });
    expect(makeEngineOptions({ model: "m", maxBatchSize: 1, maxDelayMs: 0.5, visionCacheBytes: 0 })).toMatchObject({
      maxBatchSize: 1,
      maxDelayMs: 0.5,
      visionCacheBytes: 0,
    });
  });

  it.each([
    ["workers", 0, /whole number >= 1, got 0/],
    ["maxBatchSize", -1, /whole number >= 1 \(1 switches batching off\), got -1/],
    ["maxBatchSize", 2.5, /whole number >= 1/],
    ["maxDelayMs", -1, /a number >= 0, got -1/],
    ["maxDelayMs", Number.NaN, /got NaN/],
    ["visionBatchSize", -2, /\(0 = automatic\)/],
    ["encoderBatchSize", 1.5, /whole number >= 0/],
    ["visionCacheBytes", -1, /0 disables the cache/],
    ["intraOpNumThreads", "4", /got 4/],
    ["maxNewTokensLimit", 0, />= 1/],
    ["maxBeams", 0, />= 1/],
    ["maxImagePixels", Number.POSITIVE_INFINITY, /got Infinity/],
    ["preprocessWorkers", -1, /\(0 = decode on the inference workers\), got -1/],
  ])("%s = %s is refused and named", (field, value, description) => {
    const violations = violationsOf({ [field]: value });
    expect(violations).toHaveLength(1);
    expect(violations[0]!.field).toBe(field);
    expect(violations[0]!.description).toMatch(description);
  });

  it("names every bad option at once", () => {
    expect(violationsOf({ workers: 0, maxDelayMs: -5 }).map((v) => v.field)).toEqual(["workers", "maxDelayMs"]);
  });
});
