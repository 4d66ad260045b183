/**
 * Polygons to a binary mask at the original image size, as COCO run-length encoding.
 *
 * Fill rule: pixel (x, y) (column x, row y, both from 0) is in the mask when its centre
 * (x + 0.5, y + 0.5) is inside one of the instance's polygons. Inside a polygon means the even-odd
 * rule (a self-intersecting polygon has holes where it overlaps itself); the polygons of one
 * instance are united, as COCO merges the polygons of an annotation. A centre exactly on the
 * outline counts on top and left edges and not on bottom and right edges (half-open edges, the
 * usual top-left convention), so polygons sharing an edge never both cover a pixel. Parts outside
 * the image are clipped; a polygon with fewer than 3 vertices covers nothing.
 *
 * RLE: the mask is read column by column (column-major, "Fortran" order, as pycocotools does);
 * `counts` alternates runs of 0s and 1s starting with a run of 0s (0 if the first pixel is set),
 * and `size` is [height, width].
 */
import type { ImageSize, Polygon, RleMask } from "../results.js";

/** Filled rows [start, end) of one pixel column, sorted and disjoint. */
type Intervals = [number, number][];

/** Rows of column centre `xc` inside `polygon` by the even-odd rule, clipped to [0, height). */
function columnIntervals(polygon: Polygon, xc: number, height: number, out: Intervals): void {
  const n = polygon.length;
  if (n < 3) return;
  const crossings: number[] = [];
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const p = polygon[i] as Polygon[number];
    const q = polygon[j] as Polygon[number];
    // Half-open in x: an edge counts when xc is in [min x, max x), so a vertex on the line counts once.
    if (p.x <= xc !== q.x <= xc) crossings.push(p.y + ((xc - p.x) * (q.y - p.y)) / (q.x - p.x));
  }
  crossings.sort((a, b) => a - b);
  for (let k = 0; k + 1 < crossings.length; k += 2) {
    // Rows whose centre yc satisfies c0 <= yc < c1, i.e. y in [ceil(c0 - 0.5), ceil(c1 - 0.5)).
    const start = Math.max(0, Math.ceil((crossings[k] as number) - 0.5));
    const end = Math.min(height, Math.ceil((crossings[k + 1] as number) - 0.5));
    if (start < end) out.push([start, end]);
  }
}

function unite(intervals: Intervals): Intervals {
  intervals.sort((a, b) => a[0] - b[0]);
  const merged: Intervals = [];
  for (const [s, e] of intervals) {
    const last = merged[merged.length - 1];
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  return merged;
}

/**
 * The polygons' mask as COCO RLE, computed column by column without materialising the mask
 * (memory grows with the number of runs, not with the image).
 */
export function polygonsToRle(polygons: readonly Polygon[], imageSize: ImageSize): RleMask {
  const { width, height } = imageSize;
  const counts: number[] = [];
  let value = 0;
  let run = 0;
  const emit = (v: number, length: number): void => {
    if (length === 0) return;
    if (v === value) {
      run += length;
    } else {
      counts.push(run);
      value = v;
      run = length;
    }
  };
  const usable = polygons.filter((p) => p.length >= 3);
  for (let x = 0; x < width; x++) {
    const intervals: Intervals = [];
    for (const polygon of usable) columnIntervals(polygon, x + 0.5, height, intervals);
    let y = 0;
    for (const [s, e] of intervals.length > 1 ? unite(intervals) : intervals) {
      emit(0, s - y);
      emit(1, e - s);
      y = e;
    }
    emit(0, height - y);
  }
  counts.push(run);
  return { size: [height, width], counts };
}

/** The polygons' mask, one byte per pixel (0 or 1), row-major: index y * width + x. */
export function polygonsToMask(polygons: readonly Polygon[], imageSize: ImageSize): Uint8Array {
  return rleToMask(polygonsToRle(polygons, imageSize));
}

/** COCO RLE of a row-major 0/1 mask (index y * width + x). */
export function maskToRle(mask: Uint8Array, imageSize: ImageSize): RleMask {
  const { width, height } = imageSize;
  const counts: number[] = [];
  let value = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = mask[y * width + x] === 0 ? 0 : 1;
      if (v !== value) {
        counts.push(run);
        value = v;
        run = 0;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}

/** Decodes COCO RLE into a row-major 0/1 mask (index y * width + x). */
export function rleToMask(rle: RleMask): Uint8Array {
  const [height, width] = rle.size;
  const mask = new Uint8Array(width * height);
  let i = 0;
  rle.counts.forEach((count, k) => {
    if (k % 2 === 1) {
      for (let j = i; j < i + count; j++) mask[(j % height) * width + Math.floor(j / height)] = 1;
    }
    i += count;
  });
  return mask;
}

/** Number of pixels set in a COCO RLE mask (the sum of its runs of 1s). */
export function rleArea(rle: RleMask): number {
  return rle.counts.reduce((sum, count, k) => (k % 2 === 1 ? sum + count : sum), 0);
}
