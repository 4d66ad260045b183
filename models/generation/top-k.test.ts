import { describe, expect, it } from "vitest";
import { TopK, topKIndices } from "./top-k.js";

describe("top-k", () => {
  it.each([
    { values: [3, 1, 4, 1, 5, 9, 2, 6], k: 3, out: [5, 7, 4] },
    { values: [1, 1, 1, 1], k: 2, out: [0, 1] },
    { values: [Number.NEGATIVE_INFINITY, Number.NaN, 0], k: 3, out: [2, 0, 1] },
    { values: [2, 1], k: 5, out: [0, 1] },
  ])("topKIndices($values, $k) = $out", ({ values, k, out }) => {
    expect(topKIndices(values, k)).toEqual(out);
  });

  it("keeps values sorted descending", () => {
    const top = new TopK(3);
    for (const [v, id] of [
      [0.5, 10],
      [0.9, 11],
      [0.1, 12],
      [0.7, 13],
    ] as const)
      top.offer(v, id);
    expect([top.value(0), top.value(1), top.value(2)]).toEqual([0.9, 0.7, 0.5]);
    expect([top.id(0), top.id(1), top.id(2)]).toEqual([11, 13, 10]);
  });
});
