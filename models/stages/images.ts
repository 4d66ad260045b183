/**
 * The per-call image stage: decode each input and resize it to the model's size
 * (docs/florence2-contract.md#5-image-preprocessing). A failure names the image it came from
 * when the call has several.
 *
 * The work can run on another thread than the call (worker/preprocess-pool.ts): there every image
 * becomes an outcome (prepareImageOutcomes), and the call applies its own rule to them
 * (settleImages), exactly as if it had decoded them itself.
 */
import { FlorenceError, isFlorenceError } from "../errors.js";
import { type ImageLimits, type ImagePreprocessConfig, type PreparedImage, prepareImage } from "../image/index.js";
import type { ImageInput } from "../inputs.js";

/** A call's image after preparation: ready, or the error that makes it unusable (invalid_image). */
export type PreparedOutcome = PreparedImage | FlorenceError;

/**
 * Where a call's images come from: decoded by the call itself (imagesFromInputs), or prepared by
 * another thread and handed over when ready (see ../worker/).
 */
export interface CallImages {
  readonly count: number;
  /** Every image's outcome, in order; rejects for a failure that is not about one image. */
  outcomes(): Promise<readonly PreparedOutcome[]>;
}

/**
 * Decodes and resizes every image. An image that cannot be used (invalid_image) becomes its own
 * error, named by its index when the call has several; any other failure rejects.
 */
export async function prepareImageOutcomes(
  images: readonly ImageInput[],
  config: Pick<ImagePreprocessConfig, "size">,
  limits: ImageLimits,
): Promise<PreparedOutcome[]> {
  const prepared: PreparedOutcome[] = [];
  for (const i of images.keys()) {
    try {
      prepared.push(await prepareImage(images[i]!, config, limits));
    } catch (e) {
      if (!isFlorenceError(e) || e.kind !== "invalid_image") throw e;
      prepared.push(images.length > 1 ? namedByIndex(e, i) : e);
    }
  }
  return prepared;
}

/**
 * A call's rule for its images: with `perImage` (runEach) a failed image stays its own outcome;
 * otherwise the first failed image fails the call.
 */
export function settleImages(outcomes: readonly PreparedOutcome[], perImage: boolean): PreparedOutcome[] {
  if (!perImage) {
    const failed = outcomes.find((o) => o instanceof FlorenceError);
    if (failed !== undefined) throw failed;
  }
  return [...outcomes];
}

/** The images of a call that decodes them on its own thread. */
export function imagesFromInputs(
  images: readonly ImageInput[],
  config: Pick<ImagePreprocessConfig, "size">,
  limits: ImageLimits,
): CallImages {
  return { count: images.length, outcomes: () => prepareImageOutcomes(images, config, limits) };
}

function namedByIndex(e: FlorenceError, i: number): FlorenceError {
  return new FlorenceError(e.kind, `images[${i}]: ${e.message}`, {
    cause: e,
    violations: [{ field: `images[${i}]`, description: e.message }],
  });
}
