import { Tensor } from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { float16ToFloat32 } from "./float16.js";
import { castFloat, gatherRows, isIdentity } from "./kv-cache.js";

describe("gatherRows", () => {
  const t = new Tensor(
    "float32",
    Float32Array.from({ length: 12 }, (_, i) => i),
    [3, 2, 2],
  );

  it("returns the same tensor when nothing moves", () => {
    expect(gatherRows(t, [0, 1, 2])).toBe(t);
    expect(isIdentity([0, 1], 3)).toBe(false);
  });

  it.each([
    { rows: [2, 0], data: [8, 9, 10, 11, 0, 1, 2, 3] },
    { rows: [1, 1, 1], data: [4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7] },
    { rows: [], data: [] },
  ])("gathers rows $rows", ({ rows, data }) => {
    const g = gatherRows(t, rows);
    expect(g.dims).toEqual([rows.length, 2, 2]);
    expect(Array.from(g.data as Float32Array)).toEqual(data);
  });

  it("keeps the element type (int64, float16 bits) and handles zero-length rows", () => {
    const ids = new Tensor("int64", BigInt64Array.of(1n, 2n, 3n, 4n), [2, 2]);
    const g = gatherRows(ids, [1, 0]);
    expect(g.type).toBe("int64");
    expect(Array.from(g.data as BigInt64Array)).toEqual([3n, 4n, 1n, 2n]);
    const half = new Tensor("float16", Uint16Array.of(0x3c00, 0x4000), [2, 1]);
    const h = gatherRows(half, [1]);
    expect(h.type).toBe("float16");
    // Node 24 has Float16Array and onnxruntime hands float16 data out as numbers; Node 20 as bits.
    expect(Array.from(float16ToFloat32(h.data as ArrayLike<number>))).toEqual([2]);
    const empty = new Tensor("float32", new Float32Array(0), [2, 4, 0, 8]);
    expect(gatherRows(empty, [1, 1, 0]).dims).toEqual([3, 4, 0, 8]);
  });

  it("rejects a row outside the batch", () => {
    expect(() => gatherRows(t, [3])).toThrow(RangeError);
  });
});

describe("castFloat", () => {
  it("converts float32 <-> float16 and leaves other tensors alone", () => {
    const t = new Tensor("float32", Float32Array.of(1, -2.5, 0.1), [3]);
    const h = castFloat(t, "float16");
    expect(h.type).toBe("float16");
    expect(Array.from(float16ToFloat32(h.data as ArrayLike<number>))).toEqual([1, -2.5, 0.0999755859375]);
    const back = castFloat(h, "float32");
    expect(Array.from(back.data as Float32Array)).toEqual([1, -2.5, 0.0999755859375]);
    expect(castFloat(t, "float32")).toBe(t);
    const ids = new Tensor("int64", BigInt64Array.of(1n), [1]);
    expect(castFloat(ids, "float16")).toBe(ids);
  });
});
