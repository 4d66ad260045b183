import { describe, expect, it } from "vitest";
import { logSoftmaxAt, logSoftmaxInPlace } from "./log-softmax.js";

describe("log-softmax", () => {
  it("normalises so that exp sums to 1 and keeps differences", () => {
    const row = Float32Array.of(1, 2, 3, -100);
    logSoftmaxInPlace(row);
    const total = Array.from(row).reduce((s, v) => s + Math.exp(v), 0);
    expect(total).toBeCloseTo(1, 6);
    expect(row[2]! - row[1]!).toBeCloseTo(1, 6);
    // log(e^1 + e^2 + e^3 + e^-100) = 3.40760596...
    expect(row[2]).toBeCloseTo(3 - 3.4076059644443806, 6);
  });

  it("handles -inf entries and matches logSoftmaxAt", () => {
    const row = Float32Array.of(0, Number.NEGATIVE_INFINITY, Math.log(3));
    const at = logSoftmaxAt(row, 2);
    logSoftmaxInPlace(row);
    expect(row[1]).toBe(Number.NEGATIVE_INFINITY);
    expect(row[0]).toBeCloseTo(Math.log(0.25), 6);
    expect(at).toBe(row[2]);
    expect(at).toBeCloseTo(Math.log(0.75), 6);
  });
});
