/**
 * Skipping unchanged frames (StreamConfig.change_threshold), per stream. The stream keeps one
 * reference: the last frame it sent to the engine, with its thumbnail, its task and (later) its
 * answer. Each new frame is compared with it (frame-change.ts) in arrival order:
 *
 * - same task, same frame size, difference below the threshold: the frame does not run. It is
 *   answered with the reference's result, marked `reused` with the reference's frame id. If the
 *   reference is still running, the frame waits for it: answers come in frame order anyway, so
 *   waiting delays nothing that running would not, and it saves an engine call.
 * - otherwise the frame runs and becomes the new reference.
 *
 * A reference whose run fails stops being the reference (the next frame runs); frames already
 * waiting on it get its error, their message naming it. A LATEST-mode reference superseded before
 * it ran takes its waiting frames with it: they are skipped, superseded by the same newer frame.
 * A frame whose image yields no thumbnail runs (the engine reports what is wrong with it) and
 * leaves the reference as it was.
 */
import type { TaskRequest } from "../core/inputs.js";
import type { StreamFramesResponse } from "../gen/florence/v1/frames_pb.js";
import { answer, type FrameJob } from "./frame-answers.js";
import { decideChange, type FrameThumbnail } from "./frame-change.js";
import { imageThumbnail } from "./frame-thumbnail.js";

/** What to do with one frame. */
export type ReuseDecision =
  /** Answer the frame with this (it settles once the reference's answer is known); do not run it. */
  | { readonly reuse: Promise<StreamFramesResponse> }
  /** Run the frame; pass its answer to `settle` (when given: the frame is the new reference). */
  | { readonly run: { readonly settle?: (answer: StreamFramesResponse) => void } };

interface Reference {
  readonly frameId: bigint;
  readonly task: TaskRequest;
  readonly thumbnail: FrameThumbnail;
  readonly answer: Promise<StreamFramesResponse>;
}

const RUN_UNTRACKED: ReuseDecision = { run: {} };

export class FrameReuse {
  readonly #threshold: number;
  readonly #thumbnailOf: (job: FrameJob) => Promise<FrameThumbnail | undefined>;
  #reference: Reference | undefined;

  /**
   * `threshold`: StreamConfig.change_threshold, validated (0 turns reuse off and computes no
   * thumbnail). `thumbnailOf`: how a frame is reduced (tests replace it).
   */
  constructor(threshold: number, thumbnailOf?: (job: FrameJob) => Promise<FrameThumbnail | undefined>) {
    this.#threshold = threshold;
    this.#thumbnailOf = thumbnailOf ?? ((job) => imageThumbnail(job.image));
  }

  get enabled(): boolean {
    return this.#threshold > 0;
  }

  /** Decides one frame; call in arrival order, one frame at a time. */
  async decide(job: FrameJob): Promise<ReuseDecision> {
    if (!this.enabled) return RUN_UNTRACKED;
    const thumbnail = await this.#thumbnailOf(job);
    if (thumbnail === undefined) return RUN_UNTRACKED;
    const reference = this.#reference;
    if (reference !== undefined && sameTask(reference.task, job.task)) {
      const { changed, difference } = decideChange(reference.thumbnail, thumbnail, this.#threshold);
      if (!changed) return { reuse: reference.answer.then((a) => reusedAnswer(job, a, reference.frameId, difference)) };
    }
    let settle: (answer: StreamFramesResponse) => void = () => {};
    const answered = new Promise<StreamFramesResponse>((resolve) => (settle = resolve));
    const next: Reference = { frameId: job.frameId, task: job.task, thumbnail, answer: answered };
    this.#reference = next;
    return {
      run: {
        settle: (a) => {
          if (a.outcome.case !== "result" && this.#reference === next) this.#reference = undefined;
          settle(a);
        },
      },
    };
  }
}

/** Tasks compare by value: a frame that re-sends the same task still matches. */
function sameTask(a: TaskRequest, b: TaskRequest): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** The answer of `job`, unchanged from frame `fromId`, derived from that frame's answer `from`. */
export function reusedAnswer(
  job: FrameJob,
  from: StreamFramesResponse,
  fromId: bigint,
  difference: number,
): StreamFramesResponse {
  const outcome = from.outcome;
  switch (outcome.case) {
    case "result":
      return answer(job, outcome, undefined, { frameId: fromId, difference });
    case "error":
      return answer(job, {
        case: "error",
        value: {
          ...outcome.value,
          message: `frame ${fromId}, whose result this unchanged frame would reuse, failed: ${outcome.value.message}`,
        },
      });
    default:
      // Skipped (LATEST): this frame is as stale as the one it matched.
      return answer(job, outcome);
  }
}
