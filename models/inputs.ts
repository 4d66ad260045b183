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

/**
 * An item's answer text so far (CallOptions.onText): the decoded tokens cleaned like the final
 * answer, without what the next tokens may still change, so each text is a prefix of the final
 * answer (text tasks: the result's `text`; the others: `rawText` without <s>, </s> and <pad>).
 */
export interface TextSoFar {
  /** Which of the call's items it belongs to (the image's index; runTasks: the task's). */
  readonly imageIndex: number;
  readonly text: string;
  /** Tokens generated so far for this item, forced <s> included. */
  readonly tokens: number;
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
  /**
   * Called with an item's answer text so far, at most once per `textIntervalMs` and only when it
   * grew. Greedy search reports as tokens are chosen; beam search only the tokens every beam
   * agrees on. Default none.
   */
  readonly onText?: (text: TextSoFar) => void;
  /** Least time between two onText calls of one item, in ms; 0 = after every token. Default 100. */
  readonly textIntervalMs?: number;
  /** Called once, just before the call resolves, with where its time went (not on failure). Default none. */
  readonly onTimings?: (timings: RunTimings) => void;
}

/** What every engine method's options object holds: decoding parameters and call options, flat. */
export interface GenerationOptions extends DecodingParams, CallOptions {}
