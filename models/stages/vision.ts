/**
 * The vision stage of a batch: features of the batch's distinct images, from the vision cache
 * where it has them and from vision-encoder passes over the rest. Items that share an image (one
 * multi-task call, or two calls on the same picture) share its features
 * (docs/onnx-contract.md#8-data-flow-between-the-sessions).
 */
import type { PreparedImage } from "../image/index.js";
import type { ImageFeatures, VisionFeatureCache } from "./vision-cache.js";

/** What the vision stage reads of a batch item. */
export interface VisionItem {
  /** Vision-cache key of the resized image: equal keys share one vision-encoder pass. */
  readonly imageKey: string;
  readonly image: PreparedImage;
}

export interface VisionStage {
  readonly cache: VisionFeatureCache;
  /** Most images per vision-encoder pass. */
  readonly imagesPerPass: number;
  /** Resized RGB images -> pixel_values [images, 3, H, W]. */
  readonly toPixels: (resized: readonly Uint8Array[]) => Float32Array;
  /** One vision-encoder pass: [images, tokens, d]. */
  readonly encode: (pixelValues: Float32Array, images: number) => Promise<ImageFeatures>;
  /** Called after each pass with its image count (pass counters; the worker polls cancellation). */
  readonly afterPass: (images: number) => void;
}

export interface BatchFeatures {
  /** [distinct images, tokens, d]. */
  readonly features: ImageFeatures;
  /** For each item, its image's index in `features`. */
  readonly imageIndex: number[];
  /** Wall time of the vision-encoder passes (0 when every image was cached). */
  readonly passMs: number;
}

export async function visionFeatures(items: readonly VisionItem[], stage: VisionStage): Promise<BatchFeatures> {
  const keys: string[] = [];
  const imageIndex = items.map((item) => {
    const at = keys.indexOf(item.imageKey);
    if (at >= 0) return at;
    keys.push(item.imageKey);
    return keys.length - 1;
  });
  const images = keys.map((key) => items.find((item) => item.imageKey === key)!.image);
  const found = keys.map((key) => stage.cache.get(key));
  const missing = found.flatMap((f, i) => (f === undefined ? [i] : []));
  let passMs = 0;
  for (let start = 0; start < missing.length; start += stage.imagesPerPass) {
    const chunk = missing.slice(start, start + stage.imagesPerPass);
    const pixelValues = stage.toPixels(chunk.map((i) => images[i]!.resized));
    const passStart = performance.now();
    const encoded = await stage.encode(pixelValues, chunk.length);
    passMs += performance.now() - passStart;
    const size = encoded.tokens * encoded.dModel;
    chunk.forEach((i, m) => {
      const one = {
        data: encoded.data.slice(m * size, (m + 1) * size),
        tokens: encoded.tokens,
        dModel: encoded.dModel,
      };
      stage.cache.set(keys[i]!, one);
      found[i] = one;
    });
    stage.afterPass(chunk.length);
  }
  const { tokens, dModel } = found[0]!;
  const data = new Float32Array(keys.length * tokens * dModel);
  found.forEach((f, i) => {
    data.set(f!.data, i * tokens * dModel);
  });
  return { features: { data, tokens, dModel }, imageIndex, passMs };
}
