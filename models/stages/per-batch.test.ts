/** The per-batch stages without a model: vision features with the cache, and the batch runner. */
import { describe, expect, it } from "vitest";
import { findTask } from "../../core/tasks.js";
import type { DecodeRequest, DecodeResult } from "../generation/index.js";
import { batchRunner, type PreparedItem } from "./batch.js";
import { visionFeatures } from "./vision.js";
import { type ImageFeatures, VisionFeatureCache } from "./vision-cache.js";

const image = (v: number) => ({ originalSize: { width: 1, height: 1 }, resized: Uint8Array.of(v) });
const item = (key: string, v: number, decode: DecodeRequest = {}): PreparedItem => ({
  spec: findTask("caption")!,
  imageKey: key,
  image: image(v),
  inputIds: [0, 2],
  decode,
});

/** A vision "encoder" whose features for an image are [v, v] (2 tokens of width 1). */
function fakeVision(imagesPerPass: number, cache = new VisionFeatureCache(1024)) {
  const passes: number[] = [];
  return {
    passes,
    stage: {
      cache,
      imagesPerPass,
      toPixels: (resized: readonly Uint8Array[]) => Float32Array.from(resized, (r) => r[0]!),
      encode: async (pixels: Float32Array, images: number): Promise<ImageFeatures> => {
        expect(pixels).toHaveLength(images);
        return { data: Float32Array.from(Array.from(pixels).flatMap((v) => [v, v])), tokens: 2, dModel: 1 };
      },
      afterPass: (images: number) => passes.push(images),
    },
  };
}

describe("visionFeatures", () => {
  it("encodes each distinct image once, in passes of imagesPerPass, and reuses the cache", async () => {
    const { passes, stage } = fakeVision(2);
    const items = [item("a", 1), item("b", 2), item("a", 1), item("c", 3)];
    const first = await visionFeatures(items, stage);
    expect(first.imageIndex).toEqual([0, 1, 0, 2]);
    expect(Array.from(first.features.data)).toEqual([1, 1, 2, 2, 3, 3]);
    expect(passes).toEqual([2, 1]);
    const again = await visionFeatures([item("c", 3), item("a", 1)], stage);
    expect(Array.from(again.features.data)).toEqual([3, 3, 1, 1]);
    expect(again.passMs).toBe(0);
    expect(passes).toEqual([2, 1]);
    expect(stage.cache.stats()).toMatchObject({ hits: 2, misses: 3 });
  });
});

describe("batchRunner", () => {
  const decoded = (tokens: number[], stopReason: DecodeResult["stopReason"] = "eos"): DecodeResult => ({
    tokens,
    logprobs: [],
    stopReason,
    sequenceScore: undefined,
  });

  function runner(results: (requests: readonly DecodeRequest[]) => DecodeResult[]) {
    const seen: string[] = [];
    const run = batchRunner({
      beforeStep: () => seen.push("beforeStep"),
      vision: async (items) => {
        seen.push(`vision ${items.length}`);
        return {
          features: { data: new Float32Array(items.length), tokens: 1, dModel: 1 },
          imageIndex: items.map((_, i) => i),
          passMs: 3,
        };
      },
      encode: async (_features, rows) => {
        seen.push(`encode ${rows.map((r) => r.imageIndex).join(",")}`);
        return {} as never;
      },
      decode: async (_encoded, requests) => {
        seen.push(`decode ${requests.length}`);
        return results(requests);
      },
    });
    return { run, seen };
  }

  it("runs the stages in order over the live items and shares the batch's times", async () => {
    const { run, seen } = runner((requests) => requests.map((_, i) => decoded([2, i, 2])));
    const out = await run([item("a", 1), item("b", 2)]);
    expect(seen).toEqual(["beforeStep", "vision 2", "beforeStep", "encode 0,1", "decode 2"]);
    expect(out.map((o) => o.ok && o.value.decoded.tokens)).toEqual([
      [2, 0, 2],
      [2, 1, 2],
    ]);
    const [a, b] = out.map((o) => (o.ok ? o.value.batch : undefined));
    expect(a).toBe(b);
    expect(a?.visionMs).toBe(3);
  });

  it("answers items cancelled before or during the batch as cancelled, without a pass when none is live", async () => {
    const { run, seen } = runner((requests) => requests.map(() => decoded([2, 5], "cancelled")));
    const out = await run([item("a", 1, { signal: AbortSignal.abort() }), item("b", 2)]);
    expect(out.map((o) => !o.ok && (o.error as { kind: string }).kind)).toEqual(["cancelled", "cancelled"]);
    expect(seen).toContain("vision 1");
    const idle = runner(() => []);
    await idle.run([item("a", 1, { signal: AbortSignal.abort() })]);
    expect(idle.seen).toEqual(["beforeStep"]);
  });
});
