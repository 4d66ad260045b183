/** What describes a loaded model and its batching counters. */
import type { ImageSize } from "./geometry.js";
import type { TaskName } from "./tasks.js";

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
  readonly imageSize: ImageSize;
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

/** Counters of batching since the model loaded. */
export interface BatchCounters {
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
}
