/**
 * What callers pass to the engine: images and regions (shared nouns from core/), decoding
 * parameters (data, core/decoding.ts) and the per-call plumbing that never leaves this process.
 */
import type { DecodingParams } from "../core/decoding.js";
import type { RunTimings } from "../core/timings.js";

export type { DecodingParams } from "../core/decoding.js";
export type { Region } from "../core/geometry.js";
export type { EncodedImage, ImageInput, PathImage, RawImage, RawPixelFormat, RawPixels } from "../core/inputs.js";

/** A token as it is generated (greedy: the token; beams: the best beam's token). */
export interface GeneratedToken {
  readonly id: number;
  readonly text: string;
  /** Which of the call's items it belongs to (the image's index; runTasks: the task's). */
  readonly imageIndex: number;
}

/** Per-call settings that are not decoding parameters: they stay in the calling thread. */
export interface CallOptions {
  /**
   * Fairness lane for cross-request batching: calls with the same lane share one place per batch
   * round (a video stream, a client connection). Default: the call gets a lane of its own.
   */
  readonly lane?: string;
  /** Stops decoding between steps; the call then rejects with a `cancelled` FlorenceError. */
  readonly signal?: AbortSignal;
  /** Called with each token's text as it is generated. Default none. */
  readonly onToken?: (token: GeneratedToken) => void;
  /** Called once, just before the call resolves, with where its time went (not on failure). Default none. */
  readonly onTimings?: (timings: RunTimings) => void;
}

/** What every engine method's options object holds: decoding parameters and call options, flat. */
export interface GenerationOptions extends DecodingParams, CallOptions {}
