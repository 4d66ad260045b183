/**
 * The answers of a StreamFrames stream, one per frame: a frame's result (run through the engine
 * in the admission queue like any request), a per-frame error, "skipped" for a LATEST-mode
 * frame that a newer one replaced, or an unchanged frame's reused result (frame-reuse.ts).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import type { ImageInput, TaskRequest } from "../core/inputs.js";
import type { StreamFramesResponse } from "../gen/florence/v1/frames_pb.js";
import { StreamFramesResponseSchema } from "../gen/florence/v1/frames_pb.js";
import { FlorenceError, isFlorenceError } from "../models/errors.js";
import { probeImageSize } from "../models/index.js";
import type { GenerationOptions } from "../models/inputs.js";
import type { CallRecord, ServiceDeps } from "./call-context.js";
import { withEngine } from "./call-context.js";
import { TASK_BY_NAME } from "./enums.js";
import { toFrameError } from "./errors.js";
import { toTaskResultMessage, toTimingsMessage } from "./to-proto.js";

export interface FrameJob {
  readonly frameId: bigint;
  readonly timestampUs: bigint;
  readonly task: TaskRequest;
  readonly image: ImageInput;
  /** Set on a frame that is its stream's reuse reference (frame-reuse.ts): receives its answer. */
  readonly settle?: (answer: StreamFramesResponse) => void;
}

/**
 * The answer of a LATEST-mode frame replaced by a newer one: "skipped", unless its image cannot
 * be decoded at all. That is checked from the header alone (no pixel is decoded), so a client
 * sending garbage learns it even when every garbage frame is superseded.
 */
export async function skipAnswer(job: FrameJob, newer: FrameJob): Promise<StreamFramesResponse> {
  try {
    await probeImageSize(job.image);
  } catch (e) {
    if (!isFlorenceError(e)) throw e;
    const field = "frame.image";
    const error = new FlorenceError(e.kind, `${field}: ${e.message}`, {
      cause: e,
      violations: [{ field, description: e.message }],
    });
    return answer(job, { case: "error", value: toFrameError(error) });
  }
  return answer(job, {
    case: "skipped",
    value: { reason: `superseded by frame ${newer.frameId}`, supersededBy: newer.frameId },
  });
}

/** Runs one frame through the engine (in the admission queue) and answers it with its result. */
export async function runFrame(
  deps: ServiceDeps,
  record: CallRecord,
  job: FrameJob,
  options: GenerationOptions,
  signal: AbortSignal,
): Promise<StreamFramesResponse> {
  const { value, queueMs, modelMs, stages } = await withEngine(deps, record, signal, (engine, onTimings) =>
    engine.run(job.task, [job.image], { ...options, signal, onTimings }),
  );
  const result = value[0];
  if (result === undefined) {
    throw new FlorenceError("internal", "internal error: the engine returned no result", {
      cause: new Error("engine.run returned an empty array for one image"),
    });
  }
  return answer(
    job,
    { case: "result", value: toTaskResultMessage(result) },
    toTimingsMessage(queueMs, modelMs, stages),
  );
}

/**
 * The answer to one frame: its ids and task, an outcome, (for a result that ran) its timings, and
 * (for a result taken from an unchanged earlier frame) where it came from.
 */
export function answer(
  job: Pick<FrameJob, "frameId" | "timestampUs" | "task">,
  outcome: NonNullable<StreamFramesResponseInit["outcome"]>,
  timings = toTimingsMessage(0, 0),
  reused?: { readonly frameId: bigint; readonly difference: number },
): StreamFramesResponse {
  return create(StreamFramesResponseSchema, {
    frameId: job.frameId,
    timestampUs: job.timestampUs,
    task: TASK_BY_NAME[job.task.task],
    timings,
    outcome,
    ...(reused === undefined ? {} : { reused }),
  });
}

type StreamFramesResponseInit = MessageInitShape<typeof StreamFramesResponseSchema>;
