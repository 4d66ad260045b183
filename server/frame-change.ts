/**
 * The change detector of StreamFrames' frame skipping (issue 14, part 3): each frame is reduced to
 * a small grayscale thumbnail (a box filter in plain TypeScript, so it costs microseconds and no
 * image library), and two thumbnails differ by their mean absolute difference in 0..1. A frame
 * whose difference from the last inferred frame is below the stream's threshold may reuse that
 * frame's result. Pure functions; the stream wiring lives with StreamFrames.
 */
import { RAW_PIXEL_CHANNELS, type RawPixelFormat, type RawPixels } from "../core/inputs.js";

/** Thumbnail side in pixels: 32x32 = 1024 cells keeps sensor noise averaged out and a cut obvious. */
export const THUMBNAIL_SIZE = 32;

/** A frame reduced to `size` x `size` gray levels (0..255), with the size of the frame it came from. */
export interface FrameThumbnail {
  readonly size: number;
  /** The source frame's size: results are in its pixels, so frames of another size never match. */
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  /** size * size gray levels, row by row. */
  readonly cells: Uint8Array;
}

export interface ChangeDecision {
  /** True when the frame must be inferred again (difference >= threshold, or another frame size). */
  readonly changed: boolean;
  /** Mean absolute difference of the thumbnails in 0..1; 1 when the frame sizes differ or there is no previous frame. */
  readonly difference: number;
}

/** Where the red, green and blue bytes sit in a pixel of each layout (gray: all three are the one byte). */
const CHANNEL_ORDER: Readonly<Record<RawPixelFormat, readonly [number, number, number]>> = {
  rgb: [0, 1, 2],
  rgba: [0, 1, 2],
  bgr: [2, 1, 0],
  bgra: [2, 1, 0],
  gray: [0, 0, 0],
};

/** The raw layout of sharp's `.raw()` output with `channels` channels (1 gray, 3 RGB, 4 RGBA). */
export function formatOfChannels(channels: number): RawPixelFormat {
  if (channels === 1) return "gray";
  if (channels === 3) return "rgb";
  if (channels === 4) return "rgba";
  throw new RangeError(`a raw frame has 1 (gray), 3 (RGB) or 4 (RGBA) channels, not ${channels}; flatten it first`);
}

/** [start, end) of the source pixels covered by output cell `i` of `cells` (at least one pixel, so small frames scale up). */
function span(i: number, cells: number, source: number): readonly [number, number] {
  const start = Math.min(source - 1, Math.floor((i * source) / cells));
  const end = Math.max(start + 1, Math.floor(((i + 1) * source) / cells));
  return [start, end];
}

/** BT.601 luma in integers (weights sum to 256). */
function luma(r: number, g: number, b: number): number {
  return (77 * r + 150 * g + 29 * b) >> 8;
}

/** `frame` reduced to a `size` x `size` grayscale thumbnail by averaging the pixels under each cell. */
export function frameThumbnail(frame: RawPixels, size: number = THUMBNAIL_SIZE): FrameThumbnail {
  const { width, height, data, format } = frame;
  const channels = RAW_PIXEL_CHANNELS[format];
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`thumbnail size must be a whole number >= 1, not ${size}`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`a frame is at least 1x1 whole pixels, not ${width}x${height}`);
  if (data.length !== width * height * channels)
    throw new RangeError(
      `a ${width}x${height} ${format} frame is ${width * height * channels} bytes, not ${data.length}`,
    );
  const [ri, gi, bi] = CHANNEL_ORDER[format];
  const cells = new Uint8Array(size * size);
  for (let cy = 0; cy < size; cy++) {
    const [y0, y1] = span(cy, size, height);
    for (let cx = 0; cx < size; cx++) {
      const [x0, x1] = span(cx, size, width);
      let sum = 0;
      for (let y = y0; y < y1; y++) {
        let p = (y * width + x0) * channels;
        for (let x = x0; x < x1; x++, p += channels) sum += luma(data[p + ri]!, data[p + gi]!, data[p + bi]!);
      }
      cells[cy * size + cx] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
    }
  }
  return { size, sourceWidth: width, sourceHeight: height, cells };
}

/** Mean absolute difference of two thumbnails in 0..1; 1 when their frames' sizes (or thumbnail sizes) differ. */
export function thumbnailDifference(a: FrameThumbnail, b: FrameThumbnail): number {
  if (a.size !== b.size || a.sourceWidth !== b.sourceWidth || a.sourceHeight !== b.sourceHeight) return 1;
  let sum = 0;
  for (let i = 0; i < a.cells.length; i++) sum += Math.abs(a.cells[i]! - b.cells[i]!);
  return sum / (a.cells.length * 255);
}

/**
 * Whether `next` must be inferred again, given the thumbnail of the last inferred frame. A threshold
 * of 0 turns skipping off (every difference is >= 0); it must lie in 0..1.
 */
export function decideChange(
  previous: FrameThumbnail | undefined,
  next: FrameThumbnail,
  threshold: number,
): ChangeDecision {
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1)
    throw new RangeError(`the change threshold is a fraction in 0..1 (e.g. 0.02), not ${threshold}`);
  const difference = previous === undefined ? 1 : thumbnailDifference(previous, next);
  return { changed: difference >= threshold, difference };
}
