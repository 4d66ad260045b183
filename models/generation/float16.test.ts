import { describe, expect, it } from "vitest";
import { float16ToFloat32, floatToHalfBits, halfBitsToFloat } from "./float16.js";

describe("float16", () => {
  it.each([
    [0x0000, 0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x7c00, Number.POSITIVE_INFINITY],
    [0xfc00, Number.NEGATIVE_INFINITY],
  ])("bits %s -> %s", (bits, value) => {
    expect(halfBitsToFloat(bits)).toBe(value);
  });

  it("converts NaN and whole arrays", () => {
    expect(halfBitsToFloat(0x7e00)).toBeNaN();
    expect(Array.from(float16ToFloat32(Uint16Array.of(0x3c00, 0xbc00)))).toEqual([1, -1]);
    expect(Array.from(float16ToFloat32([0.5, 2]))).toEqual([0.5, 2]);
  });
});

describe("floatToHalfBits", () => {
  it.each([
    [0, 0x0000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [65520, 0x7c00],
    [1e6, 0x7c00],
    [2 ** -24, 0x0001],
    [2 ** -26, 0x0000],
    [1 + 2 ** -11, 0x3c00],
    [1 + 3 * 2 ** -11, 0x3c02],
    [Number.NEGATIVE_INFINITY, 0xfc00],
  ])("%s -> bits %s (round to nearest even)", (value, bits) => {
    expect(floatToHalfBits(value)).toBe(bits);
  });

  it("round-trips every finite half value", () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = halfBitsToFloat(h);
      if (Number.isFinite(v)) expect(floatToHalfBits(v) === h || (v === 0 && h === 0x8000)).toBe(true);
    }
  });
});
