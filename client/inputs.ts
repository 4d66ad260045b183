/**
 * What callers pass to the client: images, regions, tasks, decoding parameters and call settings.
 * The shared shapes come from core/ (the engine takes the same objects in-process); only what the
 * network adds is declared here: file paths as bare strings, regions as boxes, call settings.
 */
import type { DecodingParams } from "../core/decoding.js";
import type { BoundingBox, Region as RegionTuple } from "../core/geometry.js";
import type { TaskRequest as CoreTaskRequest, EncodedImage, OneOrMany, PathImage, RawPixels } from "../core/inputs.js";
import type { CaptionChoice, DetectChoice } from "../core/shortcuts.js";
import type { BackpressureMode } from "../gen/florence/v1/frames_pb.js";
import type { EnumName } from "./enums.js";
import type { Timings } from "./results.js";

export type { DecodingParams } from "../core/decoding.js";
export type { BoundingBox } from "../core/geometry.js";
export type { EncodedImage, PathImage, RawPixelFormat } from "../core/inputs.js";
export type { CaptionGranularity, LabelsMode } from "../core/shortcuts.js";
export type { TaskName } from "../core/tasks.js";

/** Undecoded pixels (e.g. from a video decoder); the `kind` tag is optional, so engine-style objects work unchanged. */
export interface RawImage extends RawPixels {
  readonly kind?: "raw";
}

/**
 * An image: encoded bytes (a bare Uint8Array or Buffer is encoded bytes), raw pixels, or a file path
 * the CLIENT reads (a bare string is a path; Node only); the server never sees the path.
 */
export type ImageInput = Uint8Array | string | EncodedImage | RawImage | PathImage;

/** One image or a batch; every method returns one result per image, in order. */
export type Images = OneOrMany<ImageInput>;

/** A region in pixels of the original image: [x1, y1, x2, y2] (as the engine takes it) or a box. */
export type Region = RegionTuple | BoundingBox;

/** Decoding settings; an unset field takes the server's default (the engine's, core/decoding.ts). */
export type GenerationOptions = DecodingParams;

/** Per-call settings, passed to connect unchanged (see connect's CallOptions). */
export interface FlorenceCallOptions {
  /** Cancels the call; it then rejects with ConnectError Code.Canceled. */
  readonly signal?: AbortSignal;
  /** Deadline in milliseconds; overrides the client's timeoutMs. <= 0 disables the deadline. */
  readonly timeoutMs?: number;
  /** Extra request headers, added to (and overriding) the client's headers. */
  readonly headers?: HeadersInit;
  /** Called with the response headers. */
  readonly onHeader?: (headers: Headers) => void;
  /** Called with the response trailers. */
  readonly onTrailer?: (trailers: Headers) => void;
  /**
   * Task calls (not listModels): called with where the server spent the call's time (admission queue, engine
   * queue, and the stages of the batch it ran in). Stream answers carry theirs in `timings`.
   */
  readonly onTimings?: (timings: Timings) => void;
}

/** What every method's options object may hold: decoding settings and call settings, flat. */
export interface RequestOptions extends GenerationOptions, FlorenceCallOptions {}

/** One task and its extra input (the engine's TaskRequest, with a region as a tuple or a box). */
export type TaskRequest = CoreTaskRequest<Region>;

export interface CaptionOptions extends RequestOptions, CaptionChoice {}

export interface DetectOptions extends RequestOptions, DetectChoice {}

export interface RunOptions extends RequestOptions {
  /** Text input of the tasks that need one. */
  readonly text?: string;
  /** Region of the tasks that need one, applied to every image. */
  readonly region?: Region;
}

/** "queue" processes every frame; "latest" drops stale frames to keep up with real time. */
export type BackpressureName = EnumName<typeof BackpressureMode>;

/** Settings of one streamFrames call. */
export interface StreamConfig {
  /** The task run on every frame until a frame switches it. */
  readonly task: TaskRequest;
  /** Decoding settings for every frame. */
  readonly options?: GenerationOptions;
  /** Default "queue". */
  readonly backpressure?: BackpressureName;
  /** Frames the server works on at once. Server default 1. */
  readonly maxInFlight?: number;
  /**
   * Skip unchanged frames (0..1; default 0 = every frame runs): a frame whose 32x32 grayscale
   * thumbnail differs from the last inferred frame's by less than this (mean absolute difference)
   * is answered with that frame's result, marked by FrameAnswer.reusedFrom, without running.
   */
  readonly changeThreshold?: number;
}

/** One video frame of streamFrames. */
export interface FrameInput {
  readonly image: ImageInput;
  /** Echoed in the frame's answer. Default: the frame's index in the stream (0, 1, 2, ...). */
  readonly frameId?: number;
  /** Echoed unchanged, e.g. presentation time in microseconds. Default 0. */
  readonly timestampUs?: number;
  /** Switches the task for this frame and every later frame. */
  readonly task?: TaskRequest;
}
