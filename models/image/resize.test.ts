import { describe, expect, it } from "vitest";
import { axisCoefficients, bicubicKernel, resizeBicubic } from "./resize.js";

const ONE = 1 << 22;

describe("bicubicKernel (Keys, a = -0.5)", () => {
  it.each([
    [0, 1],
    [0.5, 0.5625], // (1.5*0.5 - 2.5)*0.25 + 1
    [1, 0],
    [1.5, -0.0625], // ((1.5-5)*1.5+8)*1.5-4 = 0.125, times -0.5
    [2, 0],
    [-0.5, 0.5625],
    [3, 0],
  ])("k(%f) = %f", (x, expected) => {
    expect(bicubicKernel(x)).toBeCloseTo(expected, 12);
  });
});

describe("axisCoefficients", () => {
  it.each([
    [1920, 768],
    [600, 768],
    [12, 768],
    [768, 768],
    [2160, 768],
    [1, 768],
  ])("%i -> %i: fixed-point weights of every output sum to 1.0 within rounding", (inSize, outSize) => {
    const c = axisCoefficients(inSize, outSize);
    for (let o = 0; o < outSize; o++) {
      let sum = 0;
      for (let k = 0; k < (c.count[o] as number); k++) sum += c.weights[o * c.ksize + k] as number;
      // each weight is rounded once, so the sum is off by at most half a unit per tap
      expect(Math.abs(sum - ONE)).toBeLessThanOrEqual(c.ksize);
      expect(c.first[o]).toBeGreaterThanOrEqual(0);
      expect((c.first[o] as number) + (c.count[o] as number)).toBeLessThanOrEqual(inSize);
    }
  });

  it("widens the kernel by the downscale factor (antialiasing)", () => {
    // support 2 * 2.5 = 5 -> ksize ceil(5) * 2 + 1 = 11 taps; upscaling keeps support 2 -> 5 taps
    expect(axisCoefficients(1920, 768).ksize).toBe(11);
    expect(axisCoefficients(12, 768).ksize).toBe(5);
  });
});

describe("resizeBicubic", () => {
  it("keeps a constant image constant at any scale", () => {
    for (const [w, h] of [
      [1, 1],
      [2, 3],
      [1000, 7],
    ] as const) {
      const rgb = new Uint8Array(w * h * 3);
      for (let i = 0; i < rgb.length; i += 3) rgb.set([10, 128, 250], i);
      const out = resizeBicubic({ width: w, height: h, rgb }, { width: 16, height: 9 });
      expect(out.length).toBe(16 * 9 * 3);
      for (let i = 0; i < out.length; i += 3) expect([...out.subarray(i, i + 3)]).toEqual([10, 128, 250]);
    }
  });

  it("returns a copy for a same-size request", () => {
    const rgb = Uint8Array.from({ length: 4 * 2 * 3 }, (_, i) => i * 7);
    const out = resizeBicubic({ width: 4, height: 2, rgb }, { width: 4, height: 2 });
    expect(out).toEqual(rgb);
    expect(out).not.toBe(rgb);
  });

  it("does not change a row when only the height changes (no horizontal pass)", () => {
    // a 3x1 image stretched to 3x4: every output row equals the input row
    const rgb = Uint8Array.from([0, 50, 100, 150, 200, 250, 30, 60, 90]);
    const out = resizeBicubic({ width: 3, height: 1, rgb }, { width: 3, height: 4 });
    for (let y = 0; y < 4; y++) expect([...out.subarray(y * 9, y * 9 + 9)]).toEqual([...rgb]);
  });

  it("clamps the cubic overshoot to 0..255", () => {
    // a hard black/white edge upscaled: Catmull-Rom rings below 0 and above 255
    const rgb = Uint8Array.from([0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255]);
    const out = resizeBicubic({ width: 4, height: 1, rgb }, { width: 16, height: 1 });
    expect(Math.min(...out)).toBe(0);
    expect(Math.max(...out)).toBe(255);
    expect(out[0]).toBe(0);
    expect(out[out.length - 1]).toBe(255);
  });

  it("rejects an rgb buffer that does not match the size", () => {
    expect(() => resizeBicubic({ width: 2, height: 2, rgb: new Uint8Array(11) }, { width: 4, height: 4 })).toThrow(
      /11 bytes, expected 12/,
    );
  });
});
