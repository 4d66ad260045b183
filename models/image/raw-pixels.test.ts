import { describe, expect, it } from "vitest";
import type { RawImage, RawPixelFormat } from "../inputs.js";
import { makeImageLimits } from "./limits.js";
import { rawToRgb } from "./raw-pixels.js";

const limits = makeImageLimits();
const raw = (format: RawPixelFormat, width: number, height: number, data: number[]): RawImage => ({
  kind: "raw",
  format,
  width,
  height,
  data: Uint8Array.from(data),
});

describe("rawToRgb", () => {
  it.each([
    ["rgb", [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6]],
    ["bgr", [3, 2, 1, 6, 5, 4], [1, 2, 3, 4, 5, 6]],
    ["rgba", [1, 2, 3, 0, 4, 5, 6, 255], [1, 2, 3, 4, 5, 6]],
    ["bgra", [3, 2, 1, 0, 6, 5, 4, 9], [1, 2, 3, 4, 5, 6]],
    ["gray", [7, 200], [7, 7, 7, 200, 200, 200]],
  ] as const)("%s -> RGB (alpha dropped, not composited; gray replicated)", (format, data, expected) => {
    const img = rawToRgb(raw(format, 2, 1, [...data]), limits);
    expect(img).toEqual({ width: 2, height: 1, rgb: Uint8Array.from(expected) });
  });

  it("copies rgb input so later changes to the caller's buffer do not leak in", () => {
    const input = raw("rgb", 1, 1, [9, 9, 9]);
    const img = rawToRgb(input, limits);
    input.data[0] = 0;
    expect(img.rgb[0]).toBe(9);
  });

  it.each([
    ["rgb", 2, 2, 11, /raw rgb image of 2x2 needs 12 bytes \(2 \* 2 \* 3 channels\), got 11/],
    ["bgra", 3, 1, 13, /raw bgra image of 3x1 needs 12 bytes \(3 \* 1 \* 4 channels\), got 13/],
    ["gray", 4, 4, 48, /raw gray image of 4x4 needs 16 bytes \(4 \* 4 \* 1 channels\), got 48/],
  ] as const)("rejects %s %ix%i with %i bytes, stating expected vs actual", (format, w, h, n, message) => {
    expect(() => rawToRgb(raw(format, w, h, Array(n).fill(0)), limits)).toThrow(
      expect.objectContaining({ kind: "invalid_image", message: expect.stringMatching(message) }),
    );
  });

  it.each([
    [0, 5],
    [5, 0],
    [-1, 5],
    [1.5, 2],
    [Number.NaN, 1],
  ])("rejects size %sx%s", (w, h) => {
    expect(() => rawToRgb(raw("rgb", w, h, []), limits)).toThrow(
      expect.objectContaining({ kind: "invalid_image", message: expect.stringMatching(/must be positive integers/) }),
    );
  });

  it("rejects a frame over the pixel limit before looking at the data", () => {
    const tight = makeImageLimits({ maxPixels: 100 });
    expect(() => rawToRgb(raw("rgb", 20, 20, []), tight)).toThrow(
      expect.objectContaining({
        kind: "invalid_image",
        message: expect.stringMatching(/20x20 = 400 pixels, over the limit of 100 pixels.*maxPixels/),
      }),
    );
  });

  it("rejects an unknown format from an untyped caller", () => {
    const bad = { ...raw("rgb", 1, 1, [1, 2, 3]), format: "constructor" } as unknown as RawImage;
    expect(() => rawToRgb(bad, limits)).toThrow(
      expect.objectContaining({
        kind: "invalid_image",
        message: expect.stringMatching(/unknown raw pixel format "constructor"/),
      }),
    );
  });
});

describe("makeImageLimits", () => {
  it("fills defaults and validates", () => {
    expect(makeImageLimits({ maxBytes: 10 })).toEqual({ maxPixels: 40_000_000, maxBytes: 10 });
    expect(() => makeImageLimits({ maxPixels: 0 })).toThrow(RangeError);
    expect(() => makeImageLimits({ maxBytes: 1.5 })).toThrow(/maxBytes must be a positive integer/);
  });
});
