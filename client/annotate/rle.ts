/**
 * COCO run-length masks (core/geometry.ts RleMask) turned into something drawable: a row-major
 * bitmap, and the bitmap as rectangles (row runs, stacked where consecutive rows repeat a run), which
 * an SVG path and a canvas both fill exactly, without an encoded image in between.
 */
import type { RleMask } from "../../core/geometry.js";

/** A filled rectangle [x, y, width, height] in pixels. */
export type MaskRect = readonly [number, number, number, number];

/**
 * The mask as a row-major bitmap of height * width bytes, 1 inside and 0 outside. COCO counts are
 * column-major and alternate, starting with a run of zeros (a mask that starts inside begins with 0).
 */
export function decodeRle(mask: RleMask): Uint8Array {
  const [height, width] = mask.size;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0)
    throw new RangeError(`RLE mask size [${height}, ${width}] must be two whole numbers >= 0 ([height, width])`);
  const total = height * width;
  let sum = 0;
  for (const count of mask.counts) {
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`RLE mask count ${count} must be a whole number >= 0`);
    sum += count;
  }
  if (sum !== total)
    throw new RangeError(`RLE mask counts sum to ${sum}, but a ${height}x${width} mask has ${total} pixels`);
  const bitmap = new Uint8Array(total);
  // Walk down the columns: (x, y) is the pixel the next run starts at.
  let x = 0;
  let y = 0;
  mask.counts.forEach((count, run) => {
    if (run % 2 === 0) {
      const next = y + count;
      x += Math.floor(next / height);
      y = next % height;
      return;
    }
    for (let i = 0; i < count; i++) {
      bitmap[y * width + x] = 1;
      if (++y === height) {
        y = 0;
        x++;
      }
    }
  });
  return bitmap;
}

/** The runs of 1s in one bitmap row, as [start, end) pairs. */
function rowRuns(bitmap: Uint8Array, width: number, y: number): [number, number][] {
  const runs: [number, number][] = [];
  const row = y * width;
  let x = 0;
  while (x < width) {
    if (bitmap[row + x] === 0) {
      x++;
      continue;
    }
    const start = x;
    while (x < width && bitmap[row + x] === 1) x++;
    runs.push([start, x]);
  }
  return runs;
}

/**
 * The mask's pixels as non-overlapping rectangles: each row's runs, a run that repeats exactly in
 * the next row grown downwards instead of starting a new rectangle (so a box-like mask is one).
 */
export function maskRects(mask: RleMask): MaskRect[] {
  const [height, width] = mask.size;
  const bitmap = decodeRle(mask);
  const done: MaskRect[] = [];
  // Open rectangles by their run "start,end": [x, y, width, height] still growing.
  let open = new Map<string, [number, number, number, number]>();
  for (let y = 0; y < height; y++) {
    const next = new Map<string, [number, number, number, number]>();
    for (const [start, end] of rowRuns(bitmap, width, y)) {
      const key = `${start},${end}`;
      const growing = open.get(key);
      if (growing !== undefined) {
        growing[3]++;
        open.delete(key);
        next.set(key, growing);
      } else next.set(key, [start, y, end - start, 1]);
    }
    done.push(...open.values());
    open = next;
  }
  done.push(...open.values());
  return done.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
}
