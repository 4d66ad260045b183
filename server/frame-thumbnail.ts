/**
 * The thumbnail of one StreamFrames frame for change detection (frame-change.ts), computed without
 * holding up the event loop: raw pixels are box-filtered here in about a millisecond for a 640x480
 * frame, encoded images are decoded and shrunk by sharp on libuv's thread pool (well under a
 * millisecond of main-thread time; test/stream-skip/thumbnail-cost.ts measures both).
 * Both paths end in frameThumbnail on RGB, so their gray levels use the same weights.
 */
import sharp from "sharp";
import type { ImageInput } from "../core/inputs.js";
import { probeImageSize } from "../models/index.js";
import { type FrameThumbnail, formatOfChannels, frameThumbnail, THUMBNAIL_SIZE } from "./frame-change.js";

/**
 * The frame's thumbnail, or undefined when it cannot be had: an image that does not decode (the
 * engine then answers it with the precise error) or a file path (never sent over the wire).
 */
export async function imageThumbnail(image: ImageInput): Promise<FrameThumbnail | undefined> {
  try {
    if (image instanceof Uint8Array) return await encodedThumbnail(image);
    if (image.kind === "raw") return frameThumbnail(image);
    if (image.kind === "encoded") return await encodedThumbnail(image.data);
    return undefined;
  } catch {
    return undefined;
  }
}

/** Header first (size and format checked against the image limits), then a shrink-on-load decode. */
async function encodedThumbnail(data: Uint8Array): Promise<FrameThumbnail> {
  const size = await probeImageSize(data);
  const { data: pixels, info } = await sharp(data, { limitInputPixels: size.width * size.height })
    .rotate()
    .removeAlpha()
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: "fill" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const small = frameThumbnail({
    data: pixels,
    width: info.width,
    height: info.height,
    format: formatOfChannels(info.channels),
  });
  // Frames of another size never match: keep the source's size, not the thumbnail's.
  return { ...small, sourceWidth: size.width, sourceHeight: size.height };
}
