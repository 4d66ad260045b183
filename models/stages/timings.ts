/**
 * A call's RunTimings from the batches its items ran in. Items of one call usually share one batch;
 * a batch that fills up can split them, and then the call waits for each of its batches in turn.
 */
import type { RunTimings } from "../engine.js";

/** Wall times of one batch's stages (performance.now() ms), shared by every item in it. */
export interface BatchStageTimes {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly visionMs: number;
  readonly encoderMs: number;
  readonly decoderMs: number;
}

/**
 * Model stages add up over the call's distinct batches; whatever else passed between submitting
 * the items and the end of the last batch (waiting for the batch to form, for earlier batches, or
 * for the other batch of a split call) is queue time.
 */
export function callTimings(
  submittedAt: number,
  batches: readonly BatchStageTimes[],
  local: { readonly preprocessMs: number; readonly postprocessMs: number },
): RunTimings {
  const distinct = [...new Set(batches)];
  const sum = (pick: (b: BatchStageTimes) => number) => distinct.reduce((total, b) => total + pick(b), 0);
  const visionMs = sum((b) => b.visionMs);
  const encoderMs = sum((b) => b.encoderMs);
  const decoderMs = sum((b) => b.decoderMs);
  const lastEnd = Math.max(submittedAt, ...distinct.map((b) => b.endedAt));
  return {
    queueMs: Math.max(0, lastEnd - submittedAt - visionMs - encoderMs - decoderMs),
    preprocessMs: local.preprocessMs,
    visionMs,
    encoderMs,
    decoderMs,
    postprocessMs: local.postprocessMs,
  };
}
