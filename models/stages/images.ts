/**
 * The per-call image stage: decode each input and resize it to the model's size
 * (docs/florence2-contract.md#5-image-preprocessing). A failure names the image it came from
 * when the call has several.
 */
import { FlorenceError, isFlorenceError } from "../errors.js";
import { type ImageLimits, type ImagePreprocessConfig, type PreparedImage, prepareImage } from "../image/index.js";
import type { ImageInput } from "../inputs.js";

/** Decodes and resizes every image; the first image that fails fails the call. */
export async function prepareImages(
  images: readonly ImageInput[],
  config: Pick<ImagePreprocessConfig, "size">,
  limits: ImageLimits,
): Promise<PreparedImage[]> {
  const prepared: PreparedImage[] = [];
  for (const i of images.keys()) prepared.push(await prepareOne(images, i, config, limits));
  return prepared;
}

/**
 * Decodes and resizes every image; an image that cannot be used (invalid_image) becomes its own
 * error in the answer, any other failure fails the call (runEach, see ../engine.ts).
 */
export async function prepareEachImage(
  images: readonly ImageInput[],
  config: Pick<ImagePreprocessConfig, "size">,
  limits: ImageLimits,
): Promise<Array<PreparedImage | FlorenceError>> {
  const prepared: Array<PreparedImage | FlorenceError> = [];
  for (const i of images.keys()) {
    try {
      prepared.push(await prepareOne(images, i, config, limits));
    } catch (e) {
      if (!isFlorenceError(e) || e.kind !== "invalid_image") throw e;
      prepared.push(e);
    }
  }
  return prepared;
}

async function prepareOne(
  images: readonly ImageInput[],
  i: number,
  config: Pick<ImagePreprocessConfig, "size">,
  limits: ImageLimits,
): Promise<PreparedImage> {
  try {
    return await prepareImage(images[i]!, config, limits);
  } catch (e) {
    if (e instanceof FlorenceError && e.kind === "invalid_image" && images.length > 1) {
      throw new FlorenceError(e.kind, `images[${i}]: ${e.message}`, {
        cause: e,
        violations: [{ field: `images[${i}]`, description: e.message }],
      });
    }
    throw e;
  }
}
