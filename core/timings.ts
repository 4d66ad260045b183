/** Where a call's time went, in milliseconds of wall time. */

/**
 * The model stages of a call. A call's items run in a batch with other calls' items: each stage is
 * the wall time of the batch's stage, shared with everyone in that batch (a call waits for the
 * whole stage).
 */
export interface StageTimings {
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

/** One engine call's time; the fields add up to about the call's wall time. */
export interface RunTimings extends StageTimings {
  /**
   * Before its batch started (waiting for the worker thread to finish earlier batches and for the
   * batch to form), plus the engine's bookkeeping between stages.
   */
  readonly queueMs: number;
}
