/**
 * The typed messages between the main thread and an inference worker. onnxruntime-node's run()
 * blocks its thread for a whole model pass, so all model work happens in workers and the main
 * thread only does I/O. AbortSignals and callbacks cannot cross threads: streamed tokens and texts
 * come back as `token` and `text` messages, and cancellation is a flag in shared memory that the
 * worker reads between decoder steps (a `cancel` message would wait until the batch ends: the
 * worker's event loop is blocked while it runs), plus a `cancel` message for calls still waiting
 * in the queue.
 */
import type { DecodingParams } from "../../core/decoding.js";
import type { ImageInput, TaskRequest } from "../../core/inputs.js";
import type { ModelInfo } from "../../core/model-info.js";
import type { TaskResult } from "../../core/results.js";
import type { RunTimings } from "../../core/timings.js";
import type { EngineStats } from "../engine.js";
import type { SerializedFlorenceError } from "../errors.js";
import type { ImageLimits, ImageSize, PreparedImage } from "../image/index.js";
import type { CallMode } from "../stages/validate.js";

/** A call's image after preparation, as it crosses a thread boundary: ready, or why it is unusable. */
export type WirePreparedOutcome = PreparedImage | { readonly error: SerializedFlorenceError };

/** A call's images as a preprocessing thread answers them; `ok: false` fails the whole call. */
export type WirePreparedImages =
  | { readonly ok: true; readonly images: readonly WirePreparedOutcome[] }
  | { readonly ok: false; readonly error: SerializedFlorenceError };

/**
 * A run's images: sent with it (the worker decodes them), or prepared by a preprocessing thread
 * and sent in an `images` message once ready (preprocess-pool.ts).
 */
export type RunImages =
  | { readonly kind: "inputs"; readonly inputs: readonly ImageInput[] }
  | { readonly kind: "handed_over"; readonly count: number };

/** An ImageOutcome (../engine.ts) as it crosses the thread boundary. */
export type WireOutcome =
  | { readonly ok: true; readonly result: TaskResult }
  | { readonly ok: false; readonly error: SerializedFlorenceError };

export type HostToWorker =
  | {
      readonly type: "run";
      readonly id: number;
      readonly mode: CallMode;
      readonly requests: readonly TaskRequest[];
      readonly images: RunImages;
      readonly params: DecodingParams;
      /** The call's fairness lane (CallOptions.lane), when it has one. */
      readonly lane: string | undefined;
      /** Whether to send `token` messages (only when the caller passed onToken). */
      readonly streamTokens: boolean;
      /**
       * Whether to send `text` messages (only when the caller passed onText), and at most how often
       * per item (CallOptions.textIntervalMs; undefined there = the default).
       */
      readonly streamText: { readonly intervalMs: number | undefined } | undefined;
      /** Whether to send the call's RunTimings with its result (only when the caller passed onTimings). */
      readonly reportTimings: boolean;
      /** Int32Array(1) over shared memory; the host stores 1 to cancel. */
      readonly cancelFlag: SharedArrayBuffer;
    }
  | { readonly type: "images"; readonly id: number; readonly images: WirePreparedImages }
  | { readonly type: "cancel"; readonly id: number }
  | { readonly type: "stats"; readonly id: number }
  | { readonly type: "close" };

export type WorkerToHost =
  | { readonly type: "ready"; readonly info: ModelInfo }
  | { readonly type: "init_error"; readonly error: SerializedFlorenceError }
  | {
      readonly type: "token";
      readonly id: number;
      readonly imageIndex: number;
      readonly tokenId: number;
      readonly text: string;
    }
  | {
      readonly type: "text";
      readonly id: number;
      readonly imageIndex: number;
      readonly text: string;
      readonly tokens: number;
    }
  | {
      readonly type: "result";
      readonly id: number;
      /** One per image or task; a failure only in "each_image" calls. */
      readonly outcomes: WireOutcome[];
      /** The call's timings inside the worker, and how long the worker spent on it from reading its message. */
      readonly timings?: { readonly run: RunTimings; readonly workerMs: number };
    }
  | { readonly type: "error"; readonly id: number; readonly error: SerializedFlorenceError }
  | { readonly type: "stats"; readonly id: number; readonly stats: EngineStats | undefined }
  | { readonly type: "closed" };

/** Main thread -> preprocessing thread: decode and resize a call's images to `size`. */
export type HostToPreprocess =
  | {
      readonly type: "prepare";
      readonly id: number;
      readonly images: readonly ImageInput[];
      readonly size: ImageSize;
      readonly limits: ImageLimits;
    }
  /** The caller gave up: skip this call's images if they have not been started. */
  | { readonly type: "drop"; readonly id: number };

export type PreprocessToHost = { readonly type: "prepared"; readonly id: number; readonly images: WirePreparedImages };
