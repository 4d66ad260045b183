/** Plain-data image types shared by the preprocessing steps. */

/** A decoded image: 8-bit RGB, row-major HWC (R,G,B per pixel), `rgb.length === width * height * 3`. */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
}

/** Target size of the model input, from preprocessor_config.json `size`. */
export interface ImageSize {
  readonly width: number;
  readonly height: number;
}
