import { describe, expect, it } from "vitest";
import { decodeRle, maskRects } from "../../client/annotate/rle.js";
import { encodeRle, maskOf } from "./support/results.js";

/** Rows of a bitmap as strings of 0/1, to read table expectations at a glance. */
function rows(bitmap: Uint8Array, width: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < bitmap.length; i += width) out.push([...bitmap.slice(i, i + width)].join(""));
  return out;
}

describe("decodeRle", () => {
  it.each([
    // [height, width], counts, rows: counts run down the columns, zeros first.
    ["all zeros", [2, 3], [6], ["000", "000"]],
    ["all ones (leading empty zero run)", [2, 2], [0, 4], ["11", "11"]],
    ["first column", [2, 3], [0, 2, 4], ["100", "100"]],
    ["middle column's lower pixel", [2, 3], [3, 1, 2], ["000", "010"]],
    ["a run across columns", [3, 2], [2, 2, 2], ["01", "00", "10"]],
    ["empty mask", [0, 0], [], []],
  ] as const)("%s", (_name, size, counts, want) => {
    expect(rows(decodeRle({ size, counts }), size[1])).toEqual(want);
  });

  it("is the inverse of the COCO encoder", () => {
    const size = { width: 7, height: 5 };
    const mask = maskOf(size, (x, y) => (x - 3.5) ** 2 + (y - 2.5) ** 2 < 5);
    const again = encodeRle(decodeRle(mask), size.width, size.height);
    expect(again).toEqual(mask);
    expect(decodeRle(mask).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
  });

  it.each([
    ["counts that do not cover the mask", { size: [2, 2], counts: [1, 2] }, /sum to 3, but a 2x2 mask has 4/],
    ["a negative count", { size: [1, 2], counts: [3, -1] }, /whole number >= 0/],
    ["a fractional size", { size: [1.5, 2], counts: [3] }, /two whole numbers/],
  ] as const)("rejects %s", (_name, mask, message) => {
    expect(() => decodeRle(mask)).toThrow(message);
  });
});

describe("maskRects", () => {
  it.each([
    ["a rectangle is one rectangle", [3, 4], [4, 2, 1, 2, 1, 2], [[1, 1, 3, 2]]],
    [
      "an L shape is two",
      [2, 2],
      [0, 3, 1],
      [
        [0, 0, 2, 1],
        [0, 1, 1, 1],
      ],
    ],
    ["nothing is none", [2, 2], [4], []],
  ] as const)("%s", (_name, size, counts, want) => {
    expect(maskRects({ size, counts })).toEqual(want);
  });

  it("covers exactly the mask's pixels, each once", () => {
    const size = { width: 30, height: 20 };
    const mask = maskOf(size, (x, y) => Math.abs(x - 15) / 10 + Math.abs(y - 10) / 8 <= 1);
    const painted = new Uint8Array(size.width * size.height);
    for (const [x, y, w, h] of maskRects(mask))
      for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) painted[yy * size.width + xx]! += 1;
    expect([...painted]).toEqual([...decodeRle(mask)]);
  });
});
