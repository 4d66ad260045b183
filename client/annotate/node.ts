/**
 * Node's `annotate`: the image with a result drawn on it, as PNG (or JPEG/WebP) bytes. The overlay
 * is the SVG of svg.ts, composited by sharp. sharp is an optional peer dependency of the client,
 * loaded here on the first call only (a dynamic import), so the client works without it and a
 * bundle for browsers never sees it.
 */
import type { TaskResult } from "../../core/results.js";
import type { AnnotateOptions } from "./display-list.js";
import { annotationSvg } from "./svg.js";

/** The slice of sharp's API used here, so no sharp type leaks into the client's declarations. */
interface SharpImage {
  rotate(): SharpImage;
  toColourspace(space: "srgb"): SharpImage;
  raw(): SharpImage;
  composite(layers: readonly { readonly input: Buffer }[]): SharpImage;
  png(): SharpImage;
  jpeg(options: { readonly quality: number }): SharpImage;
  webp(options: { readonly quality: number }): SharpImage;
  toBuffer(options: { readonly resolveWithObject: true }): Promise<{
    readonly data: Buffer;
    readonly info: { readonly width: number; readonly height: number; readonly channels: number };
  }>;
}
type SharpFactory = (
  input: string | Uint8Array,
  options?: { readonly raw: { readonly width: number; readonly height: number; readonly channels: 1 | 2 | 3 | 4 } },
) => SharpImage;

export interface NodeAnnotateOptions extends AnnotateOptions {
  /** Encoding of the returned bytes. Default "png". */
  readonly format?: "png" | "jpeg" | "webp";
  /** Quality of "jpeg" and "webp", 1..100. Default 90. */
  readonly quality?: number;
}

/** What loads sharp; tests replace it to see the error of a missing sharp. */
export type SharpImporter = () => Promise<unknown>;

const importSharp: SharpImporter = () => import("sharp");

/** sharp's default export, or an error saying how to install it. */
export async function loadSharp(importer: SharpImporter = importSharp): Promise<SharpFactory> {
  let loaded: unknown;
  try {
    loaded = await importer();
  } catch (e) {
    const reason = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new Error(
      `annotate needs the optional package sharp to draw in Node; install it with "npm install sharp" (loading it failed: ${reason})`,
      { cause: e },
    );
  }
  const factory = (loaded as { default?: unknown } | null)?.default;
  if (typeof factory !== "function")
    throw new Error(
      'annotate: the installed "sharp" package has no default export; reinstall it with "npm install sharp"',
    );
  return factory as SharpFactory;
}

/**
 * `image` (a file path, or encoded bytes: JPEG, PNG, WebP, ...) turned upright by its EXIF
 * orientation, as result coordinates are, with `result` drawn on it; returns the encoded image.
 * A result for a different size of the same picture is scaled to this one. Rejects when sharp is
 * missing, the image cannot be decoded or a style option is out of range.
 */
export async function annotate(
  image: string | Uint8Array,
  result: TaskResult,
  options: NodeAnnotateOptions = {},
  importer?: SharpImporter,
): Promise<Buffer> {
  const { format = "png", quality = 90, ...drawOptions } = options;
  if (format !== "png" && format !== "jpeg" && format !== "webp")
    throw new RangeError(`annotate: format ${JSON.stringify(format)} must be "png", "jpeg" or "webp"`);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100)
    throw new RangeError(`annotate: quality ${quality} must be a whole number 1..100`);
  const sharp = await loadSharp(importer);
  let upright: Awaited<ReturnType<SharpImage["toBuffer"]>>;
  try {
    upright = await sharp(image).rotate().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    const what = typeof image === "string" ? `image ${image}` : "the image bytes";
    throw new Error(`annotate: cannot decode ${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const { width, height, channels } = upright.info;
  const svg = annotationSvg(result, { width, height }, drawOptions);
  const composed = sharp(upright.data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } }).composite([
    { input: Buffer.from(svg) },
  ]);
  const encoded =
    format === "png" ? composed.png() : format === "jpeg" ? composed.jpeg({ quality }) : composed.webp({ quality });
  return (await encoded.toBuffer({ resolveWithObject: true })).data;
}
