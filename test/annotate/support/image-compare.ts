/**
 * Golden-image support for the drawing tests: decode a PNG to RGBA pixels, compare two images
 * pixel by pixel within a tolerance (skipping given rectangles, e.g. where text is, whose glyphs
 * depend on the installed fonts), and read or rewrite a committed golden (UPDATE_GOLDENS=1).
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import sharp from "sharp";

export interface Rgba {
  readonly width: number;
  readonly height: number;
  /** width * height * 4 bytes, row-major. */
  readonly data: Uint8Array;
}

/** A rectangle [x, y, width, height] in pixels. */
export type Rect = readonly [number, number, number, number];

export interface CompareOptions {
  /** Largest difference of one channel (0..255) that still counts as equal. Default 8. */
  readonly tolerance?: number;
  /** Rectangles not compared. Default none. */
  readonly ignore?: readonly Rect[];
}

export interface Comparison {
  /** Pixels compared (outside `ignore`). */
  readonly compared: number;
  /** Pixels with a channel differing by more than the tolerance. */
  readonly mismatched: number;
  /** The first few mismatches, for the failure message. */
  readonly examples: readonly string[];
}

export async function decodeRgba(image: Uint8Array | string): Promise<Rgba> {
  const { data, info } = await sharp(image).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

/** The [r, g, b, a] of pixel (x, y). */
export function pixelAt(image: Rgba, x: number, y: number): [number, number, number, number] {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height)
    throw new RangeError(`pixel (${x}, ${y}) is outside the ${image.width}x${image.height} image`);
  const i = (y * image.width + x) * 4;
  return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!, image.data[i + 3]!];
}

function inside(x: number, y: number, rects: readonly Rect[]): boolean {
  return rects.some(([rx, ry, rw, rh]) => x >= rx && x < rx + rw && y >= ry && y < ry + rh);
}

/** Compares `actual` with `expected`; sizes must match. */
export function compareImages(actual: Rgba, expected: Rgba, options: CompareOptions = {}): Comparison {
  if (actual.width !== expected.width || actual.height !== expected.height)
    throw new Error(
      `size ${actual.width}x${actual.height} differs from the golden's ${expected.width}x${expected.height}`,
    );
  const tolerance = options.tolerance ?? 8;
  const ignore = options.ignore ?? [];
  let compared = 0;
  let mismatched = 0;
  const examples: string[] = [];
  for (let y = 0; y < actual.height; y++) {
    for (let x = 0; x < actual.width; x++) {
      if (inside(x, y, ignore)) continue;
      compared++;
      const a = pixelAt(actual, x, y);
      const e = pixelAt(expected, x, y);
      if (a.some((v, c) => Math.abs(v - e[c]!) > tolerance)) {
        mismatched++;
        if (examples.length < 5) examples.push(`(${x}, ${y}): got ${a.join(",")}, golden ${e.join(",")}`);
      }
    }
  }
  return { compared, mismatched, examples };
}

/** Whether goldens are rewritten from this run's drawings instead of compared. */
export const UPDATE_GOLDENS = process.env.UPDATE_GOLDENS === "1";

/**
 * The golden at `path` as pixels. With UPDATE_GOLDENS=1 (or no golden yet and UPDATE_GOLDENS
 * unset: an error saying how to make one), `png` is first written there.
 */
export async function golden(path: string, png: Uint8Array): Promise<Rgba> {
  if (UPDATE_GOLDENS) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, png);
  } else if (!existsSync(path)) {
    throw new Error(`no golden image ${path}; run the test with UPDATE_GOLDENS=1 to write it, then look at it`);
  }
  return decodeRgba(await readFile(path));
}
