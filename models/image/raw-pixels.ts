/** Raw (undecoded) pixel frames, e.g. from a video decoder, converted to 8-bit RGB. */
import { RAW_PIXEL_CHANNELS } from "../../core/inputs.js";
import { FlorenceError } from "../errors.js";
import type { RawImage, RawPixelFormat } from "../inputs.js";
import type { ImageLimits } from "./limits.js";
import type { DecodedImage } from "./types.js";

/** Where R, G and B sit inside one pixel of each layout (gray: all three read byte 0). */
const RGB_OFFSETS: Readonly<Record<RawPixelFormat, readonly [number, number, number]>> = {
  rgb: [0, 1, 2],
  bgr: [2, 1, 0],
  rgba: [0, 1, 2],
  bgra: [2, 1, 0],
  gray: [0, 0, 0],
};

/** Throws invalid_image unless width/height are positive integers within the pixel limit. */
export function checkDimensions(width: number, height: number, limits: ImageLimits, what: string): void {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw new FlorenceError(
      "invalid_image",
      `${what} has size ${width}x${height}; width and height must be positive integers`,
    );
  }
  const pixels = width * height;
  if (pixels > limits.maxPixels) {
    throw new FlorenceError(
      "invalid_image",
      `${what} is ${width}x${height} = ${pixels} pixels, over the limit of ${limits.maxPixels} pixels; ` +
        "downscale it before sending, or raise the maxPixels image limit (engine option maxImagePixels)",
    );
  }
}

/**
 * Validates a raw frame and converts it to RGB. Alpha is dropped without compositing (as PIL's
 * RGBA -> RGB convert does), BGR(A) is reordered, gray is replicated to R = G = B.
 */
export function rawToRgb(raw: RawImage, limits: ImageLimits): DecodedImage {
  // Guard for untyped callers: a format string outside the union (hasOwn also rejects "constructor").
  if (!Object.hasOwn(RAW_PIXEL_CHANNELS, raw.format)) {
    throw new FlorenceError(
      "invalid_image",
      `unknown raw pixel format ${JSON.stringify(raw.format)}; use one of ${Object.keys(RAW_PIXEL_CHANNELS).join(", ")}`,
    );
  }
  const channels = RAW_PIXEL_CHANNELS[raw.format];
  const { width, height, data } = raw;
  checkDimensions(width, height, limits, `raw ${raw.format} image`);
  if (!(data instanceof Uint8Array)) {
    throw new FlorenceError("invalid_image", `raw ${raw.format} image data must be a Uint8Array (or Buffer)`);
  }
  const expected = width * height * channels;
  if (data.length !== expected) {
    throw new FlorenceError(
      "invalid_image",
      `raw ${raw.format} image of ${width}x${height} needs ${expected} bytes ` +
        `(${width} * ${height} * ${channels} channels), got ${data.length}`,
    );
  }
  if (raw.format === "rgb") return { width, height, rgb: data.slice() };
  const rgb = new Uint8Array(width * height * 3);
  const [r, g, b] = RGB_OFFSETS[raw.format];
  for (let src = 0, dst = 0; dst < rgb.length; src += channels, dst += 3) {
    rgb[dst] = data[src + r] as number;
    rgb[dst + 1] = data[src + g] as number;
    rgb[dst + 2] = data[src + b] as number;
  }
  return { width, height, rgb };
}
