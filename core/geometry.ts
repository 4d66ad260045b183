/**
 * Geometry of images and answers. Every coordinate is in pixels of the ORIGINAL image (after EXIF
 * orientation); see docs/florence2-contract.md#43-dequantize for how location tokens become pixels.
 */

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** Axis-aligned box, corners (x1, y1) top-left and (x2, y2) bottom-right, in pixels. */
export interface BoundingBox {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** A closed polygon as its vertices in order (the last connects back to the first). */
export type Polygon = readonly Point[];

/** COCO-style run-length encoding of a binary mask (column-major, starting with a run of zeros). */
export interface RleMask {
  /** [height, width], as in COCO. */
  readonly size: readonly [number, number];
  readonly counts: readonly number[];
}

/** A region [x1, y1, x2, y2] in pixels of the original image, as the region_to_* tasks take it. */
export type Region = readonly [number, number, number, number];
