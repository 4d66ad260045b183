import { describe, expect, it } from "vitest";
import { florenceImageConfig } from "./config.js";
import { normalizationTable, toPixelValues } from "./normalize.js";

const small = { ...florenceImageConfig, size: { width: 2, height: 2 } };

describe("normalizationTable", () => {
  it("is (u8/255 - mean)/std per channel, rounded to float32", () => {
    const lut = normalizationTable(florenceImageConfig);
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    for (let c = 0; c < 3; c++) {
      for (const u of [0, 1, 127, 128, 254, 255]) {
        expect(lut[c * 256 + u]).toBeCloseTo((u / 255 - (mean[c] as number)) / (std[c] as number), 6);
        expect(lut[c * 256 + u]).toBe(Math.fround(lut[c * 256 + u] as number));
      }
    }
  });

  it("matches the reference's float32 values for white (pixel_values of a white image)", () => {
    // values printed by numpy for ((float32(255 * (1/255)) - mean32) / std32), see goldens/preprocessing.json
    const lut = normalizationTable(florenceImageConfig);
    expect([lut[255], lut[256 + 255], lut[512 + 255]]).toEqual([
      2.248908281326294, 2.4285714626312256, 2.640000104904175,
    ]);
  });
});

describe("toPixelValues", () => {
  it("a pure white image has mean ~2.4392 (docs/florence2-contract.md#57-reference-values)", () => {
    const { width, height } = florenceImageConfig.size;
    const white = new Uint8Array(width * height * 3).fill(255);
    const pv = toPixelValues([white], florenceImageConfig);
    expect(pv.length).toBe(3 * width * height);
    let sum = 0;
    for (const v of pv) sum += v;
    expect(sum / pv.length).toBeCloseTo(2.4392, 4);
  });

  it("lays out a batch as [B, 3, H, W] (CHW, R plane first)", () => {
    // image 0: pixel i = (i, 10 + i, 20 + i); image 1: all 255
    const a = Uint8Array.from([0, 10, 20, 1, 11, 21, 2, 12, 22, 3, 13, 23]);
    const b = new Uint8Array(12).fill(255);
    const pv = toPixelValues([a, b], small);
    const lut = normalizationTable(small);
    expect(pv.length).toBe(2 * 3 * 4);
    expect([...pv.subarray(0, 4)]).toEqual([0, 1, 2, 3].map((u) => lut[u]));
    expect([...pv.subarray(4, 8)]).toEqual([10, 11, 12, 13].map((u) => lut[256 + u]));
    expect([...pv.subarray(8, 12)]).toEqual([20, 21, 22, 23].map((u) => lut[512 + u]));
    expect([...pv.subarray(12, 16)]).toEqual(Array(4).fill(lut[255]));
    expect([...pv.subarray(20, 24)]).toEqual(Array(4).fill(lut[512 + 255]));
  });

  it("rejects an image that was not resized to the model size", () => {
    expect(() => toPixelValues([new Uint8Array(11)], small)).toThrow(
      expect.objectContaining({ kind: "internal", message: expect.stringMatching(/11 bytes, expected 12/) }),
    );
  });

  it("returns an empty tensor for an empty batch", () => {
    expect(toPixelValues([], small).length).toBe(0);
  });
});
