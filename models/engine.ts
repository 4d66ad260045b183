/**
 * The contract between callers (CLI, gRPC service, benchmarks) and the engine. The service only
 * talks to this interface; it never touches onnxruntime or sharp.
 */
import type { TaskRequest } from "../core/inputs.js";
import type { BatchCounters, ModelInfo } from "../core/model-info.js";
import type { TaskResult } from "../core/results.js";
import type { FlorenceError } from "./errors.js";
import type { GenerationOptions, ImageInput } from "./inputs.js";
import type { VisionCacheStats } from "./stages/vision-cache.js";

export type { TaskRequest } from "../core/inputs.js";
export type { ExecutionProviderName, ModelDtype, ModelInfo } from "../core/model-info.js";
export type { RunTimings } from "../core/timings.js";

/** Counters of an engine's batching and vision-feature cache, summed over its workers. */
export interface EngineStats extends BatchCounters {
  readonly visionCache: VisionCacheStats;
  /**
   * Batches run by their decoder rows ({ 1: 40, 3: 2 }), from the scheduler's stats; optional
   * because an engine that batches nothing has none (the server's batch-size histogram stays empty).
   */
  readonly batchSizes?: Readonly<Record<number, number>>;
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

/** What became of one image of runEach: its result, or why this image alone failed. */
export type ImageOutcome =
  | { readonly ok: true; readonly result: TaskResult }
  | { readonly ok: false; readonly error: FlorenceError };

export interface FlorenceEngine {
  readonly info: ModelInfo;
  /** Runs one task on each image; returns one result per image, in order. */
  run(request: TaskRequest, images: readonly ImageInput[], options?: GenerationOptions): Promise<TaskResult[]>;
  /**
   * Like run, but an image that fails alone becomes its own outcome and the other images run as
   * usual: one that cannot be decoded or is too large (`invalid_image`), or whose size puts the
   * request's region outside it (`invalid_region`). Everything else still rejects the whole call:
   * bad arguments, cancellation, the deadline, a full queue, a model failure. One outcome per
   * image, in order (also when every image failed).
   */
  runEach(request: TaskRequest, images: readonly ImageInput[], options?: GenerationOptions): Promise<ImageOutcome[]>;
  /** Runs several tasks on ONE image; the image is decoded and vision-encoded once. One result per task. */
  runTasks(requests: readonly TaskRequest[], image: ImageInput, options?: GenerationOptions): Promise<TaskResult[]>;
  /** Batching and cache counters (zeros for an engine that keeps none). */
  stats(): Promise<EngineStats>;
  /**
   * Calls `listener` on every change of availability (while unavailable, calls reject at once with
   * `unavailable`); returns the unsubscribe function. Engines that cannot lose their workers leave
   * it out and are always available once loaded.
   */
  onAvailabilityChange?(listener: (availability: EngineAvailability) => void): () => void;
  /** Releases sessions and worker threads. Pending calls reject with `unavailable`. */
  close(): Promise<void>;
}
