/** Image preprocessing for Florence-2: decode -> RGB -> 768x768 PIL-exact bicubic -> pixel_values. */
export { florenceImageConfig, type ImagePreprocessConfig, parseImagePreprocessConfig } from "./config.js";
export { decodeImage, probeImageSize } from "./decode.js";
export { type ImageLimits, imageLimitDefaults, makeImageLimits } from "./limits.js";
export { type NormalizeConfig, normalizationTable, toPixelValues, type Vec3 } from "./normalize.js";
export { type PreparedImage, prepareImage } from "./prepare.js";
export { rawToRgb } from "./raw-pixels.js";
export { axisCoefficients, bicubicKernel, resizeBicubic } from "./resize.js";
export type { DecodedImage, ImageSize } from "./types.js";
