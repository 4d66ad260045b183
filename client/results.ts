/**
 * Typed results as plain objects, the same shapes as the engine's (models/results.ts), declared
 * here because the client depends on the generated code only. Coordinates are pixels of the
 * original image at location-bin centres; confidences are probabilities in [0, 1].
 */
import type { ExecutionProvider, ModelDtype } from "../gen/florence/v1/model_service_pb.js";
import type { EnumName } from "./enums.js";
import type { BoundingBox, TaskName } from "./inputs.js";

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** A closed polygon as its vertices in order. */
export type Polygon = readonly Point[];

/** A detected object, grounded phrase or region proposal. */
export interface Detection {
  /** Class name, dense caption, grounded phrase; "" for region proposals. */
  readonly label: string;
  readonly box: BoundingBox;
  /** Geometric-mean probability of the box's four location tokens. */
  readonly confidence: number;
}

/** COCO-style uncompressed RLE (column-major, starting with a background run). */
export interface RleMask {
  /** [height, width], as in COCO. */
  readonly size: readonly [number, number];
  readonly counts: readonly number[];
}

export interface SegmentedInstance {
  readonly label: string;
  readonly polygons: readonly Polygon[];
  /** Bounding box of all polygon vertices. */
  readonly box: BoundingBox;
  /** The polygons rasterized at the original image size (even-odd fill). */
  readonly mask: RleMask;
  readonly confidence: number;
}

export interface OcrLine {
  readonly text: string;
  /** Four corners as the model emits them (clockwise from top-left for upright text). */
  readonly quad: readonly [Point, Point, Point, Point];
  readonly box: BoundingBox;
  readonly confidence: number;
}

interface ResultBase {
  readonly task: TaskName;
  /** Size of the input image the coordinates refer to. */
  readonly imageSize: ImageSize;
  /** The decoded model output with special tokens. */
  readonly rawText: string;
  /** Number of tokens the decoder generated (including forced BOS/EOS). */
  readonly generatedTokens: number;
}

export interface TextResult extends ResultBase {
  readonly kind: "text";
  readonly text: string;
  readonly confidence: number;
}

export interface DetectionsResult extends ResultBase {
  readonly kind: "detections";
  readonly detections: readonly Detection[];
}

export interface SegmentationResult extends ResultBase {
  readonly kind: "segmentation";
  readonly instances: readonly SegmentedInstance[];
}

export interface OcrResult extends ResultBase {
  readonly kind: "ocr";
  readonly lines: readonly OcrLine[];
}

export interface OpenVocabularyResult extends ResultBase {
  readonly kind: "open_vocabulary";
  readonly detections: readonly Detection[];
  readonly instances: readonly SegmentedInstance[];
}

export type TaskResult = TextResult | DetectionsResult | SegmentationResult | OcrResult | OpenVocabularyResult;

/**
 * Where the time of a request or frame went, in milliseconds; stage fields only when reported.
 * queueMs: in the server's admission queue; modelMs: the engine call. Inside it, engineQueueMs
 * waited for the batch to start and the model stages are those of the batch the request ran in,
 * shared with the other requests of that batch (see proto/florence/v1/task.proto).
 */
export interface Timings {
  readonly queueMs: number;
  readonly modelMs: number;
  readonly engineQueueMs?: number;
  readonly preprocessMs?: number;
  readonly visionMs?: number;
  readonly encoderMs?: number;
  readonly decoderMs?: number;
  readonly postprocessMs?: number;
}

export interface ModelInfo {
  readonly id: string;
  readonly path: string;
  /** Undefined when the server did not report it or reported a value this client does not know. */
  readonly dtype: EnumName<typeof ModelDtype> | undefined;
  readonly executionProvider: EnumName<typeof ExecutionProvider> | undefined;
  /** The tasks the model runs (values unknown to this client are left out). */
  readonly tasks: readonly TaskName[];
  readonly imageSize: ImageSize;
  readonly vocabSize: number;
  readonly decoderLayers: number;
  readonly maxPromptTokens: number;
  /** Most tokens one answer can have (the decoder's positions); 0 from a server that does not report it. */
  readonly maxNewTokens: number;
  /** Longest text input in UTF-8 bytes a prompt can hold; 0 from a server that does not report it. */
  readonly maxTextBytes: number;
  /** Batching and vision-cache counters; undefined when the server reports none. */
  readonly stats: ModelStats | undefined;
}

/** Counters since the model loaded; see ModelStats in model_service.proto. */
export interface ModelStats {
  readonly batches: number;
  readonly batchedItems: number;
  readonly largestBatch: number;
  readonly queuedItems: number;
  readonly decoderSteps: number;
  readonly decoderRows: number;
  readonly visionImages: number;
  readonly visionCacheHits: number;
  readonly visionCacheMisses: number;
  readonly visionCacheEvictions: number;
  readonly visionCacheBytes: number;
  readonly visionCacheMaxBytes: number;
}

/** Limits the server enforces; see model_service.proto. */
export interface ServerLimits {
  readonly readMaxBytes: number;
  readonly maxImagesPerRequest: number;
  readonly maxTasksPerRequest: number;
  readonly maxConcurrentRequests: number;
  readonly maxQueuedRequests: number;
  readonly maxConcurrentStreams: number;
  readonly maxFramesInFlightPerStream: number;
  readonly maxNumBeams: number;
  /** The server's max_new_tokens or the model's, whichever is smaller. */
  readonly maxNewTokens: number;
  /** Most decoded megapixels per request (or stream frame), summed over its images; 0 if not reported. */
  readonly maxRequestMegapixels: number;
}

export interface ModelList {
  readonly models: readonly ModelInfo[];
  readonly limits: ServerLimits;
}

/** A per-frame failure; the stream goes on. */
export interface FrameFailure {
  /** The gRPC status code number (connect's Code enum has the same numbers). */
  readonly code: number;
  readonly message: string;
  /** Machine-readable error kind, e.g. "invalid_image". */
  readonly reason: string;
  readonly violations: readonly { readonly field: string; readonly description: string }[];
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
  | (FrameAnswerBase & { readonly kind: "result"; readonly result: TaskResult })
  | (FrameAnswerBase & { readonly kind: "skipped"; readonly reason: string; readonly supersededBy: number })
  | (FrameAnswerBase & { readonly kind: "error"; readonly error: FrameFailure });
