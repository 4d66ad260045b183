/**
 * A bounded LRU of vision-encoder outputs, so several tasks on the same image (one multi-task call,
 * several calls, or a video stream re-sending a frame) run the vision encoder once. Keys are the
 * model plus a hash of the resized RGB pixels, so the same picture sent as PNG, JPEG-identical
 * bytes or raw pixels hits as long as it resizes to the same pixels. Sized in bytes, not entries:
 * a florence-2-base entry is 577 x 768 float32 = 1.8 MB.
 */
import { createHash } from "node:crypto";

/** Vision-encoder output for one image: [tokens, dModel] float32, row-major. */
export interface ImageFeatures {
  readonly data: Float32Array;
  readonly tokens: number;
  readonly dModel: number;
}

export interface VisionCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
  readonly entries: number;
  readonly bytes: number;
  readonly maxBytes: number;
}

/** The key of one resized image for one model. */
export function visionCacheKey(modelKey: string, resized: Uint8Array): string {
  return `${modelKey}:${createHash("sha256").update(resized).digest("base64url")}`;
}

export class VisionFeatureCache {
  /** Map iteration order is insertion order: re-inserting on a hit makes the first entry the LRU. */
  private readonly entries = new Map<string, ImageFeatures>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): ImageFeatures | undefined {
    const value = this.entries.get(key);
    if (value === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Stores `features` (the cache keeps this array; do not modify it). Too-large values are not kept. */
  set(key: string, features: ImageFeatures): void {
    if (features.data.byteLength > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.bytes -= old.data.byteLength;
    }
    this.entries.set(key, features);
    this.bytes += features.data.byteLength;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.data.byteLength;
      this.evictions++;
    }
  }

  stats(): VisionCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      entries: this.entries.size,
      bytes: this.bytes,
      maxBytes: this.maxBytes,
    };
  }
}
