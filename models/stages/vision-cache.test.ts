import { describe, expect, it } from "vitest";
import { type ImageFeatures, VisionFeatureCache, visionCacheKey } from "./vision-cache.js";

/** Features of `floats` float32 values, filled with `v` so entries can be told apart. */
const features = (floats: number, v = 0): ImageFeatures => ({
  data: new Float32Array(floats).fill(v),
  tokens: 1,
  dModel: floats,
});

describe("VisionFeatureCache", () => {
  it("counts hits and misses and returns what was stored", () => {
    const c = new VisionFeatureCache(1024);
    expect(c.get("a")).toBeUndefined();
    c.set("a", features(4, 7));
    expect(c.get("a")?.data[0]).toBe(7);
    expect(c.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1, bytes: 16, maxBytes: 1024 });
  });

  it("evicts the least recently USED entry when over its byte budget", () => {
    const c = new VisionFeatureCache(48); // three entries of 16 bytes
    c.set("a", features(4));
    c.set("b", features(4));
    c.set("c", features(4));
    c.get("a"); // a is now the most recent; b the least
    c.set("d", features(4));
    expect([...["a", "b", "c", "d"]].map((k) => c.get(k) !== undefined)).toEqual([true, false, true, true]);
    expect(c.stats()).toMatchObject({ evictions: 1, entries: 3, bytes: 48 });
  });

  it("evicts as many entries as a large value needs", () => {
    const c = new VisionFeatureCache(64);
    c.set("a", features(4));
    c.set("b", features(4));
    c.set("big", features(12));
    expect(c.stats()).toMatchObject({ entries: 2, bytes: 64, evictions: 1 });
  });

  it("replacing a key does not count its old bytes twice", () => {
    const c = new VisionFeatureCache(64);
    c.set("a", features(4));
    c.set("a", features(8));
    expect(c.stats()).toMatchObject({ entries: 1, bytes: 32 });
  });

  it("does not keep a value bigger than the whole budget, and 0 disables it", () => {
    const c = new VisionFeatureCache(8);
    c.set("a", features(4));
    expect(c.get("a")).toBeUndefined();
    const off = new VisionFeatureCache(0);
    off.set("a", features(1));
    expect(off.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });
});

describe("visionCacheKey", () => {
  it("depends on the pixels and on the model", () => {
    const pixels = new Uint8Array([1, 2, 3, 4]);
    expect(visionCacheKey("m1", pixels)).toBe(visionCacheKey("m1", new Uint8Array([1, 2, 3, 4])));
    expect(visionCacheKey("m1", pixels)).not.toBe(visionCacheKey("m1", new Uint8Array([1, 2, 3, 5])));
    expect(visionCacheKey("m1", pixels)).not.toBe(visionCacheKey("m2", pixels));
  });
});
