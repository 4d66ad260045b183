/**
 * The contract between callers (CLI, gRPC service, benchmarks) and the engine. The service only
 * talks to this interface; it never touches onnxruntime or sharp.
 */
import type { GenerationOptions, ImageInput, Region } from "./inputs.js";
import type { TaskResult } from "./results.js";
import type { VisionCacheStats } from "./stages/vision-cache.js";
import type { TaskName } from "./tasks.js";

/** One task to run on one image. */
export interface TaskRequest {
  readonly task: TaskName;
  /** Required by phrase grounding, referring-expression segmentation and open-vocabulary detection. */
  readonly text?: string;
  /** Required by the region_to_* tasks: [x1, y1, x2, y2] in original-image pixels. */
  readonly region?: Region;
}

/** Numeric precision of the model files (onnx-community suffixes). */
export type ModelDtype = "fp32" | "fp16" | "q8" | "int8" | "uint8" | "q4" | "q4f16" | "bnb4";

export type ExecutionProviderName = "cpu" | "cuda" | "webgpu";

export interface ModelInfo {
  /** What the user asked for: a local path, "florence-2-base", or "owner/name". */
  readonly id: string;
  /** The folder the files were loaded from. */
  readonly path: string;
  readonly dtype: ModelDtype;
  readonly executionProvider: ExecutionProviderName;
  readonly tasks: readonly TaskName[];
  readonly imageSize: { readonly width: number; readonly height: number };
  readonly vocabSize: number;
  readonly decoderLayers: number;
  /** Largest prompt length the encoder accepts (max positions minus image tokens). */
  readonly maxPromptTokens: number;
  /**
   * Most tokens one answer can have: the decoder's positions (N new tokens use positions 0..N-1,
   * the start token's included; 1024 for florence-2-base and -large). A larger max_new_tokens
   * cannot run; a generation that reaches it stops there.
   */
  readonly maxNewTokens: number;
  /**
   * Longest text input in UTF-8 bytes (a phrase, the joined class list, a free text) that can fit
   * in a prompt: the prompt's text tokens (maxPromptTokens minus `<s>` and `</s>`) times the
   * longest token's bytes. A longer text cannot fit however it tokenizes, so it is refused by its
   * length before anything tokenizes it.
   */
  readonly maxTextBytes: number;
}

/**
 * Where one call's time went inside the engine, in ms of wall time (GenerationOptions.onTimings).
 * A call's items run in a batch with other calls' items: the model stages are the wall time of the
 * batch's stage, shared with everyone in that batch (a call waits for the whole stage), so the
 * fields add up to about the engine call's wall time.
 */
export interface RunTimings {
  /** Before its batch started (waiting for the worker thread to finish earlier batches and for the batch to form), plus the engine's bookkeeping between stages. */
  readonly queueMs: number;
  /** Decoding and resizing this call's images, and building its prompts. */
  readonly preprocessMs: number;
  /** Vision-encoder passes of the batch (0 when every image came from the vision cache). */
  readonly visionMs: number;
  /** Prompt embedding and text-encoder passes of the batch. */
  readonly encoderMs: number;
  /** The batch's decoder search, until its last row finished. */
  readonly decoderMs: number;
  /** Detokenizing and parsing this call's answers. */
  readonly postprocessMs: number;
}

/** Counters of an engine's batching and vision-feature cache, summed over its workers. */
export interface EngineStats {
  /** Batches run and the calls' items they held; items / batches is the mean batch. */
  readonly batches: number;
  readonly batchedItems: number;
  /** Decoder rows of the largest batch so far. */
  readonly largestBatch: number;
  /** Items waiting for a batch now. */
  readonly queuedItems: number;
  /** Decoder passes run, and the rows they carried (decoderRows / decoderSteps is the mean batch). */
  readonly decoderSteps: number;
  readonly decoderRows: number;
  /** Images that went through the vision encoder (cache misses). */
  readonly visionImages: number;
  readonly visionCache: VisionCacheStats;
  /** Workers started to replace one that exited unexpectedly, failed starts included (worker engines only). */
  readonly workerRestarts?: number;
  /** Workers able to take calls now (worker engines only). */
  readonly workersAvailable?: number;
}

/**
 * Whether an engine can take calls. An engine whose workers can die (and be replaced, after a
 * backoff) reports each change, so the server can turn its health NOT_SERVING while none can run.
 */
export interface EngineAvailability {
  readonly available: boolean;
  /** Why the engine cannot run, for operators' logs (may name files); never sent to clients. */
  readonly cause?: unknown;
}

export interface FlorenceEngine {
  readonly info: ModelInfo;
  /** Runs one task on each image; returns one result per image, in order. */
  run(request: TaskRequest, images: readonly ImageInput[], options?: GenerationOptions): Promise<TaskResult[]>;
  /** Runs several tasks on ONE image; the image is decoded and vision-encoded once. One result per task. */
  runTasks(requests: readonly TaskRequest[], image: ImageInput, options?: GenerationOptions): Promise<TaskResult[]>;
  /** Batching and cache counters; engines that do not batch (test fakes) may leave it out. */
  stats?(): Promise<EngineStats>;
  /**
   * Calls `listener` on every change of availability (while unavailable, calls reject at once with
   * `unavailable`); returns the unsubscribe function. Engines that cannot lose their workers leave
   * it out and are always available once loaded.
   */
  onAvailabilityChange?(listener: (availability: EngineAvailability) => void): () => void;
  /** Releases sessions and worker threads. Pending calls reject with `unavailable`. */
  close(): Promise<void>;
}
