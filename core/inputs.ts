/** What callers pass besides decoding parameters: images and task requests. */
import type { Region } from "./geometry.js";
import type { TaskName } from "./tasks.js";

/** Pixel layouts accepted for raw (undecoded) frames, e.g. from a video decoder. */
export type RawPixelFormat = "rgb" | "bgr" | "rgba" | "bgra" | "gray";

/** Bytes per pixel of each raw layout. */
export const RAW_PIXEL_CHANNELS: Readonly<Record<RawPixelFormat, number>> = {
  rgb: 3,
  bgr: 3,
  rgba: 4,
  bgra: 4,
  gray: 1,
};

/** Undecoded pixels, row-major, 8 bits per channel, no row padding. */
export interface RawPixels {
  /** Exactly width * height * RAW_PIXEL_CHANNELS[format] bytes. */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly format: RawPixelFormat;
}

/** Raw pixels tagged as such, so they tell apart from the other image inputs. */
export interface RawImage extends RawPixels {
  readonly kind: "raw";
}

export interface EncodedImage {
  readonly kind: "encoded";
  /** JPEG, PNG, WebP, GIF (first frame), TIFF or AVIF bytes. */
  readonly data: Uint8Array;
}

/** A file read in-process (engine, CLI, Node client); a request over the network never carries a path. */
export interface PathImage {
  readonly kind: "path";
  readonly path: string;
}

/** An image: encoded bytes (a bare Uint8Array/Buffer means encoded), raw pixels, or a file path. */
export type ImageInput = Uint8Array | EncodedImage | RawImage | PathImage;

/** One item or a batch of them. */
export type OneOrMany<T> = T | readonly T[];

/** One task to run on an image. `R` is how a region is written (the client also takes a box). */
export interface TaskRequest<R = Region> {
  readonly task: TaskName;
  /** Required by phrase grounding, referring-expression segmentation and open-vocabulary detection. */
  readonly text?: string;
  /** Required by the region_to_* tasks: [x1, y1, x2, y2] in original-image pixels. */
  readonly region?: R;
}
