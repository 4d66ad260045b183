/**
 * Image input -> 8-bit RGB pixels, the way the reference loads an image:
 * `PIL.Image.open` -> `ImageOps.exif_transpose` -> `convert("RGB")` (alpha dropped without
 * compositing, gray replicated to R = G = B, ICC profiles ignored, first frame of an animation).
 *
 * Measured parity: the decoded RGB of every fixture (JPEG 4:2:0, EXIF-rotated JPEG, gray PNG, RGBA
 * PNG, lossy WebP, tiny PNG) is byte-identical to PIL's. Known difference: a palette GIF with a
 * transparent index decodes those pixels to black here (libvips' GIF loader clears them), where
 * PIL's convert("RGB") shows the palette colour; palette PNG transparency matches.
 *
 * Untrusted bytes are handled in two steps: sharp reads only the header first, and the size and
 * format are checked against the limits before a single pixel is decoded. Every failure is a
 * FlorenceError("invalid_image") whose message says what was wrong; sharp's own text is kept only
 * as `cause`.
 */
import { readFile, stat } from "node:fs/promises";
import sharp, { type Metadata, type OutputInfo } from "sharp";
import { FlorenceError } from "../errors.js";
import type { ImageInput } from "../inputs.js";
import { type ImageLimits, imageLimitDefaults } from "./limits.js";
import { checkDimensions, rawToRgb } from "./raw-pixels.js";
import type { DecodedImage, ImageSize } from "./types.js";

/** Container formats we decode (sharp's `format` names; AVIF is reported as "heif"). */
const SUPPORTED_FORMATS: ReadonlySet<string> = new Set(["jpeg", "png", "webp", "gif", "tiff", "heif"]);
const SUPPORTED_TEXT = "JPEG, PNG, WebP, GIF, TIFF or AVIF";

/**
 * Decodes any accepted image input to RGB. 1x1 images are legal (the model input is always
 * resized to 768x768). Throws FlorenceError("invalid_image") for empty, corrupt, truncated,
 * unsupported, zero-size or over-limit images and for raw buffers whose length does not match
 * their geometry.
 */
export async function decodeImage(input: ImageInput, limits: ImageLimits = imageLimitDefaults): Promise<DecodedImage> {
  if (input instanceof Uint8Array) return decodeEncoded(input, limits, "image");
  switch (input.kind) {
    case "encoded":
      return decodeEncoded(input.data, limits, "image");
    case "raw":
      return rawToRgb(input, limits);
    case "path":
      return decodeEncoded(await readImageFile(input.path, limits), limits, `image file ${input.path}`);
    default:
      throw new FlorenceError(
        "invalid_image",
        `unknown image input kind ${JSON.stringify((input as { kind?: unknown }).kind)}; ` +
          'use bytes, {kind:"encoded"}, {kind:"raw"} or {kind:"path"}',
      );
  }
}

/**
 * The size of an image as decoding would see it, from its header only: no pixel is decoded, so a
 * caller can budget pixels across a request before any decoding work is queued. Same errors as
 * decodeImage for bytes that are not a supported image; raw frames report their declared size.
 */
export async function probeImageSize(input: ImageInput, limits: ImageLimits = imageLimitDefaults): Promise<ImageSize> {
  const probe = async (data: Uint8Array, what: string): Promise<ImageSize> => {
    checkByteSize(data.length, limits, what);
    const meta = await readHeader(Buffer.from(data.buffer, data.byteOffset, data.byteLength), what);
    checkFormat(meta, what);
    return { width: meta.width, height: meta.height };
  };
  if (input instanceof Uint8Array) return probe(input, "image");
  switch (input.kind) {
    case "encoded":
      return probe(input.data, "image");
    case "raw":
      return { width: input.width, height: input.height };
    case "path":
      return probe(await readImageFile(input.path, limits), `image file ${input.path}`);
    default:
      return decodeImage(input, limits); // unknown kinds: the same error as decoding
  }
}

/** Reads a file, refusing it by size (stat) before reading any of it. */
async function readImageFile(path: string, limits: ImageLimits): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new FlorenceError("invalid_image", `image path ${path} is not a regular file`);
    checkByteSize(info.size, limits, `image file ${path}`);
    return await readFile(path);
  } catch (e) {
    if (e instanceof FlorenceError) throw e;
    const code = (e as { code?: unknown }).code;
    const why = code === "ENOENT" ? "it does not exist" : code === "EACCES" ? "permission denied" : "read failed";
    throw new FlorenceError("invalid_image", `cannot read image file ${path}: ${why}`, { cause: e });
  }
}

function checkByteSize(bytes: number, limits: ImageLimits, what: string): void {
  if (bytes === 0) {
    throw new FlorenceError("invalid_image", `${what} is empty (0 bytes); send ${SUPPORTED_TEXT} bytes`);
  }
  if (bytes > limits.maxBytes) {
    throw new FlorenceError(
      "invalid_image",
      `${what} is ${bytes} bytes, over the limit of ${limits.maxBytes} bytes; ` +
        "re-encode or downscale it, or raise the maxBytes image limit",
    );
  }
}

/** The image's format and size from its header, without decoding pixels. */
async function readHeader(buffer: Buffer, what: string): Promise<Metadata> {
  try {
    // No pixel limit here: only the header is read, and we report an oversized image ourselves.
    return await sharp(buffer, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new FlorenceError(
      "invalid_image",
      `${what} could not be read: the bytes are not a ${SUPPORTED_TEXT} image, or its header is corrupt`,
      { cause: e },
    );
  }
}

function checkFormat(meta: Metadata, what: string): void {
  if (!SUPPORTED_FORMATS.has(meta.format)) {
    throw new FlorenceError("invalid_image", `${what} is in ${meta.format} format; send ${SUPPORTED_TEXT}`);
  }
  // HEIF containers hold AVIF (AV1) or HEIC (HEVC); sharp's bundled libvips decodes only AV1.
  if (meta.format === "heif" && meta.compression !== "av1") {
    throw new FlorenceError(
      "invalid_image",
      `${what} is HEIC (HEVC-coded HEIF), which is not supported; send ${SUPPORTED_TEXT}`,
    );
  }
}

async function decodeEncoded(data: Uint8Array, limits: ImageLimits, what: string): Promise<DecodedImage> {
  if (!(data instanceof Uint8Array)) {
    throw new FlorenceError("invalid_image", `${what} must be bytes (Uint8Array or Buffer)`);
  }
  checkByteSize(data.length, limits, what);
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const meta = await readHeader(buffer, what);
  checkFormat(meta, what);
  // The header's size, before EXIF rotation (same pixel count): refuses decompression bombs.
  checkDimensions(meta.width, meta.height, limits, what);
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(buffer, {
      // Second line of defence in case the header lied about the size.
      limitInputPixels: limits.maxPixels,
      // Reject truncated and corrupt data ("warning" would also reject files with harmless quirks).
      failOn: "error",
      // PIL's convert("RGB") ignores embedded colour profiles; so do we, for parity.
      ignoreIcc: true,
      pages: 1,
    })
      .autoOrient()
      .removeAlpha()
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new FlorenceError(
      "invalid_image",
      `${what} (${meta.format}, ${meta.width}x${meta.height}) could not be decoded: its data is corrupt or truncated`,
      { cause: e },
    );
  }
  return toRgb(decoded.data, decoded.info, what);
}

/** sharp's raw output (1 or 3 bands after removeAlpha) as an RGB image. */
function toRgb(data: Buffer, info: OutputInfo, what: string): DecodedImage {
  const { width, height, channels } = info;
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (channels === 3) return { width, height, rgb: pixels };
  if (channels === 1) {
    const rgb = new Uint8Array(width * height * 3);
    for (let i = 0, o = 0; i < pixels.length; i++, o += 3) {
      const v = pixels[i] as number;
      rgb[o] = v;
      rgb[o + 1] = v;
      rgb[o + 2] = v;
    }
    return { width, height, rgb };
  }
  throw new FlorenceError("invalid_image", `${what} decoded to ${channels} colour channels; expected gray or RGB`);
}
