/** Safety limits applied to untrusted images before any pixel is decoded. */

export interface ImageLimits {
  /**
   * Largest image accepted, in pixels (width * height), checked against the header before decoding
   * so a small file that declares a huge canvas (a decompression bomb) is refused cheaply.
   * Default 40 megapixels (e.g. 8000x5000); the model only ever sees 768x768, so larger inputs buy
   * nothing but memory (a 40 MP RGB frame is 120 MB decoded).
   */
  readonly maxPixels: number;
  /**
   * Largest encoded input (file or byte buffer), in bytes. Default 64 MiB. Raw pixel buffers are
   * bounded by `maxPixels` instead.
   */
  readonly maxBytes: number;
}

export const imageLimitDefaults: Readonly<ImageLimits> = {
  maxPixels: 40_000_000,
  maxBytes: 64 * 1024 * 1024,
};

/** Fills unset limits from {@link imageLimitDefaults}; throws RangeError for a non-positive or non-integer limit. */
export function makeImageLimits(init?: Partial<ImageLimits>): Readonly<ImageLimits> {
  if (init === undefined) return imageLimitDefaults;
  const limits = { ...imageLimitDefaults, ...init };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`image limit ${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return limits;
}
