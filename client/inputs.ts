/**
 * What callers pass to the client: images, regions, tasks and generation options. The shapes match
 * the engine's (models/inputs.ts) so the same objects work in-process and over the network, but
 * they are declared here: the client depends on the generated code only, never on models/.
 */
import type { BackpressureMode } from "../gen/florence/v1/frames_pb.js";
import type { PixelFormat } from "../gen/florence/v1/image_pb.js";
import type { Task } from "../gen/florence/v1/task_pb.js";
import type { EnumName } from "./enums.js";
import type { Timings } from "./results.js";

/** Our names for the Florence-2 tasks: "caption", "object_detection", ... (the proto's Task enum). */
export type TaskName = EnumName<typeof Task>;

/** Pixel layouts of raw frames: "rgb", "bgr", "rgba", "bgra", "gray". */
export type RawPixelFormat = EnumName<typeof PixelFormat>;

/** Undecoded pixels, row-major, 8 bits per channel, no row padding (e.g. from a video decoder). */
export interface RawImage {
  /** Optional tag, so engine-style `{ kind: "raw", ... }` objects work unchanged. */
  readonly kind?: "raw";
  /** Exactly width * height * channels(format) bytes. */
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

/** A file the CLIENT reads (Node only) and sends as encoded bytes; the server never sees the path. */
export interface PathImage {
  readonly kind: "path";
  readonly path: string;
}

/**
 * An image: encoded bytes (a bare Uint8Array or Buffer is encoded bytes), raw pixels, or a file path
 * (a bare string is a path; Node only).
 */
export type ImageInput = Uint8Array | string | EncodedImage | RawImage | PathImage;

/** One image or a batch; every method returns one result per image, in order. */
export type Images = ImageInput | readonly ImageInput[];

/** Axis-aligned box, corners (x1, y1) top-left and (x2, y2) bottom-right, in pixels. */
export interface BoundingBox {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

/** A region in pixels of the original image: [x1, y1, x2, y2] (as the engine takes it) or a box. */
export type Region = readonly [number, number, number, number] | BoundingBox;

/** Decoding settings; an unset field takes the server's default (documented in task.proto). */
export interface GenerationOptions {
  /** Beams for beam search; 1 = greedy. Server default 3. */
  readonly numBeams?: number;
  /** Maximum number of generated tokens. Server default 1024. */
  readonly maxNewTokens?: number;
  /** Ban the end token until this many tokens are generated (at most maxNewTokens). Server default 0. */
  readonly minNewTokens?: number;
  /** Beam-search length penalty (score / length^penalty). Server default 1.0. */
  readonly lengthPenalty?: number;
  /** Stop beam search once numBeams hypotheses are finished. Server default true. */
  readonly earlyStopping?: boolean;
  /** Forbid repeating any n-gram of this size; 0 disables. Server default 3. */
  readonly noRepeatNgramSize?: number;
}

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

/** One task and its extra input (same fields as the engine's TaskRequest). */
export interface TaskRequest {
  readonly task: TaskName;
  /** For phrase grounding, referring-expression segmentation and open-vocabulary detection. */
  readonly text?: string;
  /** For the region_to_* tasks. */
  readonly region?: Region;
}

export type CaptionGranularity = "normal" | "detailed" | "very_detailed";

/** "classes" = category names (<OD>), "captions" = dense region captions, "rois" = region proposals. */
export type LabelsMode = "classes" | "captions" | "rois";

export interface CaptionOptions extends RequestOptions {
  /** Default "normal" (<CAPTION>); "detailed" = <DETAILED_CAPTION>; "very_detailed" = <MORE_DETAILED_CAPTION>. */
  readonly granularity?: CaptionGranularity;
}

export interface DetectOptions extends RequestOptions {
  /** Default "classes". Must be unset or "classes" when `classes` is given. */
  readonly labelsMode?: LabelsMode;
  /** Detect exactly these classes (the server grounds them as phrases); entries must not be blank. */
  readonly classes?: readonly string[];
}

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
