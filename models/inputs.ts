/** What callers pass to the engine: images, regions, generation options. */
import type { RunTimings } from "./engine.js";

/** Pixel layouts accepted for raw (undecoded) frames, e.g. from a video decoder. */
export type RawPixelFormat = "rgb" | "bgr" | "rgba" | "bgra" | "gray";

export interface RawImage {
  readonly kind: "raw";
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly format: RawPixelFormat;
}

export interface EncodedImage {
  readonly kind: "encoded";
  /** JPEG, PNG, WebP, GIF (first frame), TIFF or AVIF bytes. */
  readonly data: Uint8Array;
}

/**
 * An image: encoded bytes (a bare Uint8Array/Buffer means encoded), raw pixels, or a file path.
 * File paths are for in-process and CLI use only; the service never accepts a path from a request.
 */
export type ImageInput = Uint8Array | EncodedImage | RawImage | { readonly kind: "path"; readonly path: string };

/** A region [x1, y1, x2, y2] in pixels of the original image. */
export type Region = readonly [number, number, number, number];

export interface GenerationOptions {
  /** Beams for beam search; 1 = greedy. Default 3, as Florence-2's reference configuration. */
  readonly numBeams?: number;
  /** Maximum number of generated tokens. Default 1024 (the reference README's value). */
  readonly maxNewTokens?: number;
  /**
   * Ban the end token until this many tokens are generated (HF `min_new_tokens`). Default 0.
   * Set it equal to maxNewTokens to make every answer exactly that long (benchmarks).
   */
  readonly minNewTokens?: number;
  /** Beam-search length penalty (score / length^penalty). Default 1.0. */
  readonly lengthPenalty?: number;
  /** Stop beam search once numBeams hypotheses are finished. Default true (reference text_config). */
  readonly earlyStopping?: boolean;
  /** Forbid repeating any n-gram of this size; 0 disables. Default 3 (reference). */
  readonly noRepeatNgramSize?: number;
  /**
   * Fairness lane for cross-request batching: calls with the same lane share one place per batch
   * round (a video stream, a client connection). Default: the call gets a lane of its own.
   */
  readonly lane?: string;
  /** Stops decoding between steps; the call then rejects with a `cancelled` FlorenceError. */
  readonly signal?: AbortSignal;
  /** Called with each token's text as it is generated (greedy: the token; beams: the best beam's token). */
  readonly onToken?: (token: { readonly id: number; readonly text: string; readonly imageIndex: number }) => void;
  /** Called once, just before the call resolves, with where its time went (not on failure). */
  readonly onTimings?: (timings: RunTimings) => void;
}
