/**
 * uint8 HWC RGB (already resized) -> float32 CHW `pixel_values`, bit-identical to the reference.
 *
 * The reference (transformers' `rescale` + `normalize`) computes `float32(float64(u8) * rescale)`,
 * then `(x - mean[c]) / std[c]` with x, mean and std all float32 and each operation rounded to
 * float32. We reproduce that rounding with Math.fround (a double operation on float32 operands,
 * rounded once to float32, equals the float32 operation). Since a channel has only 256 possible
 * inputs, the values come from a per-channel lookup table.
 */
import { FlorenceError } from "../errors.js";
import type { ImageSize } from "./types.js";

export type Vec3 = readonly [number, number, number];

/** The image part of preprocessor_config.json that normalisation needs. */
export interface NormalizeConfig {
  /** Model input size; every image must already be this size. */
  readonly size: ImageSize;
  /** Multiplier from uint8 to [0, 1]; 1/255 for Florence-2. */
  readonly rescaleFactor: number;
  /** Per-channel mean (R, G, B), subtracted after rescaling. ImageNet [0.485, 0.456, 0.406]. */
  readonly mean: Vec3;
  /** Per-channel standard deviation (R, G, B). ImageNet [0.229, 0.224, 0.225]. */
  readonly std: Vec3;
}

/** lut[c * 256 + u] = normalised value of byte u in channel c, rounded as the reference rounds. */
export function normalizationTable(config: Pick<NormalizeConfig, "rescaleFactor" | "mean" | "std">): Float32Array {
  const lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(config.mean[c] as number);
    const std = Math.fround(config.std[c] as number);
    for (let u = 0; u < 256; u++) {
      const x = Math.fround(u * config.rescaleFactor);
      lut[c * 256 + u] = Math.fround(Math.fround(x - mean) / std);
    }
  }
  return lut;
}

/**
 * Stacks images (each HWC RGB of exactly config.size) into one float32 tensor [B, 3, H, W].
 * Throws FlorenceError("internal") if an image has the wrong length: callers resize first.
 */
export function toPixelValues(images: readonly Uint8Array[], config: NormalizeConfig): Float32Array {
  const { width, height } = config.size;
  const plane = width * height;
  const lut = normalizationTable(config);
  const out = new Float32Array(images.length * 3 * plane);
  images.forEach((rgb, b) => {
    if (rgb.length !== plane * 3) {
      throw new FlorenceError(
        "internal",
        `toPixelValues: image ${b} has ${rgb.length} bytes, expected ${plane * 3} (${width}x${height}x3); resize it first`,
      );
    }
    const base = b * 3 * plane;
    for (let i = 0, p = 0; i < plane; i++, p += 3) {
      out[base + i] = lut[rgb[p] as number] as number;
      out[base + plane + i] = lut[256 + (rgb[p + 1] as number)] as number;
      out[base + 2 * plane + i] = lut[512 + (rgb[p + 2] as number)] as number;
    }
  });
  return out;
}
