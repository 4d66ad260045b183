/**
 * The model stages of one batch, whose items may come from many calls (see scheduler/): vision
 * features (with the cache) -> prompt embeddings + encoder -> decoder search. Items whose caller
 * gave up before the batch started are answered `cancelled` without any model pass.
 */
import { FlorenceError } from "../errors.js";
import type { DecodeRequest, DecodeResult } from "../generation/index.js";
import type { ItemOutcome } from "../scheduler/batch-scheduler.js";
import type { TaskSpec } from "../tasks.js";
import type { EncodedBatch, EncoderItem } from "./encode.js";
import type { BatchStageTimes } from "./timings.js";
import type { BatchFeatures, VisionItem } from "./vision.js";

/** One (task, image) pair of a call, ready for the model: what the scheduler batches. */
export interface PreparedItem extends VisionItem {
  readonly spec: TaskSpec;
  readonly inputIds: readonly number[];
  readonly decode: DecodeRequest;
}

/** What a batch answers for each item: its decoded tokens and the batch's stage times. */
export interface BatchedDecode {
  readonly decoded: DecodeResult;
  readonly batch: BatchStageTimes;
}

/** The three model stages, bound to a model's sessions. */
export interface BatchStages {
  readonly vision: (items: readonly PreparedItem[]) => Promise<BatchFeatures>;
  readonly encode: (
    features: BatchFeatures["features"],
    rows: readonly EncoderItem[],
  ) => Promise<Pick<EncodedBatch, "hiddenStates" | "attentionMask">>;
  readonly decode: (
    encoded: Pick<EncodedBatch, "hiddenStates" | "attentionMask">,
    requests: readonly DecodeRequest[],
  ) => Promise<DecodeResult[]>;
  /** Called when the batch starts and between its stages (the worker polls cancellation there). */
  readonly beforeStep: () => void;
}

/** The scheduler's runBatch: runs the stages over a batch's live items and answers every item. */
export function batchRunner(
  stages: BatchStages,
): (items: readonly PreparedItem[]) => Promise<ItemOutcome<BatchedDecode>[]> {
  return async (items) => {
    const startedAt = performance.now();
    stages.beforeStep();
    const live = items.filter((item) => item.decode.signal?.aborted !== true);
    const decoded = new Map<PreparedItem, DecodeResult>();
    let visionMs = 0;
    let encoderMs = 0;
    let decoderMs = 0;
    if (live.length > 0) {
      const { features, imageIndex, passMs } = await stages.vision(live);
      const visionEnd = performance.now();
      visionMs = passMs;
      stages.beforeStep();
      const encoded = await stages.encode(
        features,
        live.map((item, i) => ({ imageIndex: imageIndex[i]!, inputIds: item.inputIds })),
      );
      const encoderEnd = performance.now();
      encoderMs = encoderEnd - visionEnd;
      const results = await stages.decode(
        encoded,
        live.map((item) => item.decode),
      );
      decoderMs = performance.now() - encoderEnd;
      live.forEach((item, i) => {
        decoded.set(item, results[i]!);
      });
    }
    const batch: BatchStageTimes = { startedAt, endedAt: performance.now(), visionMs, encoderMs, decoderMs };
    return items.map((item) => {
      const result = decoded.get(item);
      if (result === undefined || result.stopReason === "cancelled") {
        return { ok: false, error: new FlorenceError("cancelled", "the request was cancelled") };
      }
      return { ok: true, value: { decoded: result, batch } };
    });
  };
}
