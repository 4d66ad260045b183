/** Options for creating an engine, with their defaults in one place. */
import { availableParallelism } from "node:os";
import type { ExecutionProviderName, ModelDtype } from "./engine.js";
import { FlorenceError } from "./errors.js";
import type { ProgressCallback } from "./hub/index.js";
import { imageLimitDefaults } from "./image/limits.js";
import { DEFAULT_FORMATION_MS } from "./scheduler/batch-scheduler.js";

export interface EngineOptions {
  /**
   * A local folder in the onnx-community layout, "florence-2-base" / "florence-2-large" (and their
   * "-ft" forms), or a Hugging Face repo id "owner/name". Required.
   */
  readonly model: string;
  /** Precision of the model files. Default "fp32" (what onnx-community ships for CPU). */
  readonly dtype: ModelDtype;
  /** Default "cpu". "cuda" needs `npm run gpu:install` first (docs/gpu.md); "webgpu" needs Vulkan. */
  readonly executionProvider: ExecutionProviderName;
  /**
   * onnxruntime intra-op threads per worker. Default 0 = all cores: on two cores one image takes
   * the vision encoder 2.5-3.0 s with both and 4.6 s with one (BENCHMARKS.md), and one worker
   * also gets the bigger decoder batches.
   */
  readonly intraOpNumThreads: number;
  /** Inference worker threads; each loads its own copy of the sessions. Default 1. */
  readonly workers: number;
  /**
   * Threads that decode and resize images before calls reach the inference workers, so a worker
   * does not stop between batches for 50-100 ms of resizing per photo. 0 = each inference worker
   * decodes its own calls' images. Default {@link defaultPreprocessWorkers} of this machine's cores:
   * one per 8 cores, at least 1 and at most 4.
   */
  readonly preprocessWorkers: number;
  /** Hub revision (branch, tag or commit). Default "main". */
  readonly revision: string;
  /** Where downloads are cached. Default $FLORENCE2_CACHE or ~/.cache/florence2. */
  readonly cacheDir: string | undefined;
  /** Hub endpoint. Default $HF_ENDPOINT or https://huggingface.co. */
  readonly hubBaseUrl: string | undefined;
  /** Token for private repos. Default $HF_TOKEN. */
  readonly token: string | undefined;
  /** Never touch the network; only local folders and the cache. Default false. */
  readonly offline: boolean;
  /** Largest decoded image, in pixels (width * height). Default 40 megapixels. */
  readonly maxImagePixels: number;
  /**
   * Largest encoded image (a file or byte buffer), in bytes. Default 64 MiB, the server's own
   * default message size; raw pixel buffers are bounded by maxImagePixels instead.
   */
  readonly maxImageBytes: number;
  /** Hard cap on max_new_tokens per request. Default 4096. */
  readonly maxNewTokensLimit: number;
  /** Hard cap on num_beams per request. Default 8. */
  readonly maxBeams: number;
  /**
   * Most decoder rows batched together across calls (a beam-search item counts its beams); 1
   * switches cross-request batching off. Default 16 (see BENCHMARKS.md for the measurement).
   */
  readonly maxBatchSize: number;
  /**
   * How long a request may wait for others to join its batch, in ms. Default 5: small next to a
   * vision-encoder pass (about a second for florence-2-base on two cores).
   */
  readonly maxDelayMs: number;
  /**
   * How long a queued request may wait, in ms, for requests of a burst whose images are still being
   * decoded, so the burst runs as one batch (models/scheduler/batch-scheduler.ts). Only while such
   * requests exist: a lone caller never waits for it. Default 2000 (a cap; decoding a burst of 16
   * photos takes about one second on two cores); 0 = maxDelayMs only.
   */
  readonly batchFormationMs: number;
  /**
   * Images per vision-encoder pass within a batch. Default 0 = automatic: 1 on CPU (a bigger pass
   * is no cheaper per image there and multiplies peak memory), 8 on a GPU.
   */
  readonly visionBatchSize: number;
  /**
   * Items per text-encoder pass within a batch. Default 0 = automatic: 1 on CPU, where a 16-row
   * pass of florence-2-base was slower than 16 one-row passes (7.2 s against 4.9 s, BENCHMARKS.md)
   * and its attention scores alone are 230 MB a layer; the whole batch on a GPU.
   */
  readonly encoderBatchSize: number;
  /** Bytes of vision-encoder outputs kept per worker for reuse (LRU). 0 disables. Default 256 MiB. */
  readonly visionCacheBytes: number;
  /** Called with download progress while a hub model is fetched. */
  readonly onDownloadProgress: ProgressCallback | undefined;
}

/**
 * Preprocessing threads for a machine with `cores` cores: one per 8, at least 1 and at most 4. One
 * thread prepares about 25 640x480 photos, or 11 1920x1080 ones, a second on two cores
 * (BENCHMARKS.md, "Preprocessing off the worker"): far more than a CPU worker runs through its
 * vision encoder; a GPU host with many cores and fast batches gets more threads.
 */
export function defaultPreprocessWorkers(cores: number): number {
  return Math.min(4, Math.max(1, Math.floor(cores / 8)));
}

export const engineDefaults: Readonly<Omit<EngineOptions, "model">> = {
  dtype: "fp32",
  executionProvider: "cpu",
  intraOpNumThreads: 0,
  workers: 1,
  preprocessWorkers: defaultPreprocessWorkers(availableParallelism()),
  revision: "main",
  cacheDir: undefined,
  hubBaseUrl: undefined,
  token: undefined,
  offline: false,
  maxImagePixels: imageLimitDefaults.maxPixels,
  maxImageBytes: imageLimitDefaults.maxBytes,
  maxNewTokensLimit: 4096,
  maxBeams: 8,
  maxBatchSize: 16,
  maxDelayMs: 5,
  batchFormationMs: DEFAULT_FORMATION_MS,
  visionBatchSize: 0,
  encoderBatchSize: 0,
  visionCacheBytes: 256 * 1024 * 1024,
  onDownloadProgress: undefined,
};

export type EngineOptionsInit = Partial<EngineOptions> & { readonly model: string };

/** Lower bounds of the numeric options; all must be whole numbers except the two delays. */
const NUMERIC_OPTIONS: readonly {
  readonly name: keyof EngineOptions;
  readonly min: number;
  readonly whole: boolean;
  readonly means?: string;
}[] = [
  { name: "intraOpNumThreads", min: 0, whole: true, means: "0 = onnxruntime's default" },
  { name: "workers", min: 1, whole: true },
  { name: "preprocessWorkers", min: 0, whole: true, means: "0 = decode on the inference workers" },
  { name: "maxImagePixels", min: 1, whole: true },
  { name: "maxImageBytes", min: 1, whole: true },
  { name: "maxNewTokensLimit", min: 1, whole: true },
  { name: "maxBeams", min: 1, whole: true },
  { name: "maxBatchSize", min: 1, whole: true, means: "1 switches batching off" },
  { name: "maxDelayMs", min: 0, whole: false },
  { name: "batchFormationMs", min: 0, whole: false, means: "0 = maxDelayMs only" },
  { name: "visionBatchSize", min: 0, whole: true, means: "0 = automatic" },
  { name: "encoderBatchSize", min: 0, whole: true, means: "0 = automatic" },
  { name: "visionCacheBytes", min: 0, whole: true, means: "0 disables the cache" },
];

/**
 * The options with their defaults filled in. Throws `invalid_argument` naming every bad numeric
 * option before anything loads, so a typo does not cost a model load to find.
 */
export function makeEngineOptions(init: EngineOptionsInit): Readonly<EngineOptions> {
  const options: EngineOptions = { ...engineDefaults, ...init };
  const violations = NUMERIC_OPTIONS.flatMap(({ name, min, whole, means }) => {
    const value = options[name];
    const ok =
      typeof value === "number" && Number.isFinite(value) && value >= min && (!whole || Number.isInteger(value));
    if (ok) return [];
    const description = `must be ${whole ? "a whole number" : "a number"} >= ${min}${means === undefined ? "" : ` (${means})`}, got ${String(value)}`;
    return [{ field: name, description }];
  });
  if (violations.length > 0) {
    throw new FlorenceError(
      "invalid_argument",
      `bad engine options: ${violations.map((v) => `${v.field} ${v.description}`).join("; ")}`,
      { violations },
    );
  }
  return options;
}
