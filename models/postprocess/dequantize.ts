/**
 * Location bins to pixels. Florence-2 divides each image axis into 1000 bins (`<loc_0>` ..
 * `<loc_999>`); a bin stands for its centre, in pixels of the ORIGINAL image
 * (docs/florence2-contract.md#43-dequantize).
 */
import type { BoundingBox, ImageSize, Point } from "../results.js";

/** Bins per image axis. */
export const LOCATION_BINS = 1000;

/**
 * Centre of bin `k` on an axis of `size` pixels: (k + 0.5) * size / 1000, in float64. The
 * reference computes (k + 0.5) * (size / 1000); multiplying first makes the result the correctly
 * rounded value of the exact centre. Microsoft's processor returns the same number in float32,
 * transformers' native port truncates it to an integer.
 */
export function binCentre(k: number, size: number): number {
  return ((k + 0.5) * size) / LOCATION_BINS;
}

/** Bins [x, y, x, y, ...] to points; x bins use the width, y bins the height. An odd last bin is ignored. */
export function binsToPoints(bins: readonly number[], imageSize: ImageSize): Point[] {
  const points: Point[] = [];
  for (let i = 0; i + 1 < bins.length; i += 2) {
    points.push({
      x: binCentre(bins[i] as number, imageSize.width),
      y: binCentre(bins[i + 1] as number, imageSize.height),
    });
  }
  return points;
}

/** Bins [x, y, x, y, ...] to the same flat layout in pixels (the reference's output shape). */
export function binsToCoordinates(bins: readonly number[], imageSize: ImageSize): number[] {
  return bins.map((k, i) => binCentre(k, i % 2 === 0 ? imageSize.width : imageSize.height));
}

/**
 * Box bins [x1, y1, x2, y2] to a box in pixels with x1 <= x2 and y1 <= y2, whichever corners the
 * model wrote first: an inverted box (the reference keeps it) is the same rectangle, and a client
 * can send any box we return back as a region. rawText keeps the model's own order.
 */
export function binsToBox(bins: readonly [number, number, number, number], imageSize: ImageSize): BoundingBox {
  const [xa, ya, xb, yb] = bins;
  const [x1, x2] = xa <= xb ? [xa, xb] : [xb, xa];
  const [y1, y2] = ya <= yb ? [ya, yb] : [yb, ya];
  return {
    x1: binCentre(x1, imageSize.width),
    y1: binCentre(y1, imageSize.height),
    x2: binCentre(x2, imageSize.width),
    y2: binCentre(y2, imageSize.height),
  };
}
