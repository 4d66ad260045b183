/**
 * What the client returns. The task results are core's (core/results.ts), the same plain objects
 * the engine returns in-process; declared here is only what the network adds: timings of the
 * server's queue, the model description as ListModels reports it, the server's limits, and stream
 * answers. Coordinates are pixels of the original image at location-bin centres; confidences are
 * probabilities in [0, 1].
 */

import type { RequestLimits } from "../core/limits.js";
import type { BatchCounters, ModelInfo as EngineModelInfo } from "../core/model-info.js";
import type { ImageFailure, TaskResult } from "../core/results.js";
import type { TaskName } from "../core/tasks.js";
import type { StageTimings } from "../core/timings.js";
import type { ExecutionProvider, ModelDtype } from "../gen/florence/v1/model_service_pb.js";
import type { EnumName } from "./enums.js";

export type { ImageSize, Point, Polygon, RleMask } from "../core/geometry.js";
export type * from "../core/results.js";

/**
 * Where the time of a request or frame went, in milliseconds; stage fields only when reported.
 * queueMs: in the server's admission queue; modelMs: the engine call. Inside it, engineQueueMs
 * waited for the batch to start and the model stages are those of the batch the request ran in,
 * shared with the other requests of that batch (see proto/florence/v1/task.proto).
 */
export interface Timings extends Partial<StageTimings> {
  readonly queueMs: number;
  readonly modelMs: number;
  readonly engineQueueMs?: number;
}

export interface ModelInfo
  extends Omit<EngineModelInfo, "dtype" | "executionProvider" | "maxNewTokens" | "maxTextBytes"> {
  /** Undefined when the server did not report it or reported a value this client does not know. */
  readonly dtype: EnumName<typeof ModelDtype> | undefined;
  readonly executionProvider: EnumName<typeof ExecutionProvider> | undefined;
  /** The tasks the model runs (values unknown to this client are left out). */
  readonly tasks: readonly TaskName[];
  /** Most tokens one answer can have (the decoder's positions); 0 from a server that does not report it. */
  readonly maxNewTokens: number;
  /** Longest text input in UTF-8 bytes a prompt can hold; 0 from a server that does not report it. */
  readonly maxTextBytes: number;
  /** Batching and vision-cache counters; undefined when the server reports none. */
  readonly stats: ModelStats | undefined;
}

/** Counters since the model loaded; see ModelStats in model_service.proto. */
export interface ModelStats extends BatchCounters {
  readonly visionCacheHits: number;
  readonly visionCacheMisses: number;
  readonly visionCacheEvictions: number;
  readonly visionCacheBytes: number;
  readonly visionCacheMaxBytes: number;
}

/**
 * Limits the server enforces (see model_service.proto): the per-request limits (core/limits.ts;
 * maxNewTokens is the server's or the model's, whichever is smaller) and the server's capacity.
 */
export interface ServerLimits extends RequestLimits {
  readonly readMaxBytes: number;
  readonly maxConcurrentRequests: number;
  readonly maxQueuedRequests: number;
  readonly maxConcurrentStreams: number;
  /** Most decoded megapixels per request (or stream frame), summed over its images; 0 if not reported. */
  readonly maxRequestMegapixels: number;
}

export interface ModelList {
  readonly models: readonly ModelInfo[];
  readonly limits: ServerLimits;
}

/** A per-frame failure; the stream goes on. Same fields as a result's `error` (ImageFailure). */
export interface FrameFailure extends ImageFailure {}

/** The earlier frame whose result an unchanged frame reuses. */
export interface FrameReusedFrom {
  readonly frameId: number;
  readonly difference: number;
}

interface FrameAnswerBase {
  readonly frameId: number;
  readonly timestampUs: number;
  /** The task that was (or would have been) run on the frame; undefined if unknown to this client. */
  readonly task: TaskName | undefined;
  readonly timings: Timings;
}

/** The server's answer to one frame: exactly one per frame, in frame order. */
export type FrameAnswer =
  | (FrameAnswerBase & {
      readonly kind: "result";
      readonly result: TaskResult;
      /**
       * Set when the frame did not run: the stream's change threshold found it unchanged from an
       * earlier frame, whose result this is. `difference`: their mean absolute thumbnail difference (0..1).
       */
      readonly reusedFrom?: FrameReusedFrom;
    })
  | (FrameAnswerBase & { readonly kind: "skipped"; readonly reason: string; readonly supersededBy: number })
  | (FrameAnswerBase & { readonly kind: "error"; readonly error: FrameFailure });
