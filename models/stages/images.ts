/**
 * The per-call image stage: decode each input and resize it to the model's size
 * (docs/florence2-contract.md#5-image-preprocessing). A failure names the image it came from
 * when the call has several.
 */
import { FlorenceError } from "../errors.js";
import { type ImageLimits, type ImagePreprocessConfig, type PreparedImage, prepareImage } from "../image/index.js";
import type { ImageInput } from "../inputs.js";

export async function prepareImages(
  images: readonly ImageInput[],
  config: Pick<ImagePreprocessConfig, "size">,
  limits: ImageLimits,
): Promise<PreparedImage[]> {
  const prepared: PreparedImage[] = [];
  for (const [i, image] of images.entries()) {
    try {
      prepared.push(await prepareImage(image, config, limits));
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
  return prepared;
}
