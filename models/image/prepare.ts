/** The whole image step for one input: decode, then resize to the model size. */
import type { ImageInput } from "../inputs.js";
import type { ImagePreprocessConfig } from "./config.js";
import { decodeImage } from "./decode.js";
import { type ImageLimits, imageLimitDefaults } from "./limits.js";
import { resizeBicubic } from "./resize.js";
import type { ImageSize } from "./types.js";

export interface PreparedImage {
  /** Size after EXIF orientation, before resizing: what result coordinates refer to. */
  readonly originalSize: ImageSize;
  /** HWC RGB bytes of config.size, ready for {@link toPixelValues}. */
  readonly resized: Uint8Array;
}

/** Decodes and resizes one image; throws FlorenceError("invalid_image") as decodeImage does. */
export async function prepareImage(
  input: ImageInput,
  config: Pick<ImagePreprocessConfig, "size">,
  limits: ImageLimits = imageLimitDefaults,
): Promise<PreparedImage> {
  const image = await decodeImage(input, limits);
  return {
    originalSize: { width: image.width, height: image.height },
    resized: resizeBicubic(image, config.size),
  };
}
