/**
 * FlorenceService.StreamFrames: a bidirectional stream of video frames. The first message
 * configures the stream (stream-settings.ts); each frame is validated on arrival, run through the
 * engine (in the admission queue like any request) and answered exactly once, in order, by
 * FramePipeline (frame-answers.ts builds the answers); with a change threshold, unchanged frames
 * reuse the last inferred frame's result instead (frame-reuse.ts). A bad frame gets a per-frame
 * error answer; only problems with the stream itself end it with a status, among them its time
 * limits (stream-timers.ts).
 */
import type { HandlerContext } from "@connectrpc/connect";
import type { TaskRequest } from "../core/inputs.js";
import type { StreamFramesRequest, StreamFramesResponse } from "../gen/florence/v1/frames_pb.js";
import { FlorenceError } from "../models/errors.js";
import type { CallRecord, ServiceDeps } from "./call-context.js";
import { requestLimitsOf, streamCall } from "./call-context.js";
import { toFrameError } from "./errors.js";
import { answer, type FrameJob, runFrame, skipAnswer } from "./frame-answers.js";
import { FramePipeline } from "./frame-pipeline.js";
import { FrameReuse } from "./frame-reuse.js";
import type { ModelLease } from "./model-registry.js";
import { DUPLICATE_FRAME_ID_WINDOW, RecentIds } from "./recent-ids.js";
import { toStreamSettings } from "./stream-settings.js";
import { type IdleTimer, startConfigTimer, startIdleTimer } from "./stream-timers.js";
import { imageBytes, toImageInput, toTaskRequest, Violations } from "./validation.js";

/**
 * LATEST mode keeps reading while the engine is busy; it pauses only when this many answers wait
 * for a client that does not read them, so memory stays bounded.
 */
const MAX_UNANSWERED_LATEST = 256;

let nextStreamId = 1;

export function createStreamFramesHandler(deps: ServiceDeps) {
  return streamCall<StreamFramesRequest, StreamFramesResponse>(deps, (requests, context, record) =>
    streamFrames(deps, requests, context, record),
  );
}

async function* streamFrames(
  deps: ServiceDeps,
  requests: AsyncIterable<StreamFramesRequest>,
  context: HandlerContext,
  record: CallRecord,
): AsyncGenerator<StreamFramesResponse> {
  const releaseStream = deps.streams.tryAcquire();
  if (releaseStream === undefined) {
    throw new FlorenceError(
      "queue_full",
      `too many open streams: this server allows ${deps.options.maxConcurrentStreams}; close one or retry later`,
    );
  }
  // Aborted when the client goes away or when this generator ends early, so running engine calls stop.
  const abort = new AbortController();
  const onCallAbort = () => abort.abort(context.signal.reason);
  context.signal.addEventListener("abort", onCallAbort, { once: true });
  // Aborted (with the status to end the stream with) when the stream runs past a time limit.
  const timeLimit = new AbortController();
  const stopReading = AbortSignal.any([abort.signal, deps.calls.drainSignal, timeLimit.signal]);
  const configTimer = startConfigTimer(deps.options.streamConfigTimeoutMs, timeLimit);
  let idle: IdleTimer | undefined;
  let pin: ModelLease | undefined;
  try {
    const iterator = requests[Symbol.asyncIterator]();
    const first = await nextOrStop(iterator, stopReading);
    clearTimeout(configTimer);
    if (first === undefined || first.done) {
      if (timeLimit.signal.aborted && !abort.signal.aborted) throw timeLimit.signal.reason;
      if (deps.calls.draining) throw shuttingDown();
      return;
    }
    const config = first.value.message.case === "config" ? first.value.message.value : undefined;
    record.model = deps.models.resolve(config?.model);
    const settings = toStreamSettings(first.value, requestLimitsOf(deps, record.model));
    // The stream holds its model from here to its end, so it is never unloaded between frames
    // (an unloaded model is loaded now; the stream's frames wait for it).
    pin = await deps.models.acquire(record.model, abort.signal);
    // The stream's frames share one fairness lane: a fast stream cannot crowd out the others.
    const lane = `stream:${nextStreamId++}`;
    // results: frames that ran; reused: unchanged frames answered with an earlier frame's result.
    const frames = { results: 0, skipped: 0, errors: 0, reused: 0 };
    record.task = settings.task.task;
    record.frames = frames;
    const pipeline = new FramePipeline<FrameJob, StreamFramesResponse>({
      mode: settings.mode,
      maxInFlight: settings.maxInFlight,
      maxUnanswered: MAX_UNANSWERED_LATEST,
      signal: abort.signal,
      run: async (job, signal) =>
        settled(job, await runFrame(deps, record, job, { ...settings.options, lane }, signal)),
      skip: async (job, newer) => settled(job, await skipAnswer(job, newer)),
      fail: (job, e) => settled(job, answer(job, { case: "error", value: toFrameError(e, abort.signal) })),
    });
    const reuse = new FrameReuse(settings.changeThreshold);
    const admission = new FrameAdmission(settings.task, record, pipeline, reuse);
    idle = startIdleTimer(deps.options.streamIdleTimeoutMs, () => pipeline.outstanding > 0, timeLimit);
    const reading = readFrames(iterator, {
      deps,
      pipeline,
      admission,
      idle,
      stopReading,
      timeLimit,
      abort: abort.signal,
    });
    for await (const response of pipeline.answers()) {
      if (response.reused !== undefined) frames.reused++;
      else if (response.outcome.case === "result") frames.results++;
      else if (response.outcome.case === "skipped") frames.skipped++;
      else frames.errors++;
      idle.touch();
      yield response;
      idle.touch();
    }
    const { fatal, drained } = await reading;
    if (abort.signal.aborted) return;
    if (fatal !== undefined) throw fatal;
    if (drained) throw shuttingDown();
  } finally {
    clearTimeout(configTimer);
    idle?.stop();
    abort.abort();
    context.signal.removeEventListener("abort", onCallAbort);
    pin?.release();
    releaseStream();
  }
}

/** The messages after a stream's config: each frame is validated and queued, or answered with its error. */
class FrameAdmission {
  /** The task of the next frame: the config's, until a frame changes it. */
  #current: TaskRequest;
  readonly #recentIds = new RecentIds(DUPLICATE_FRAME_ID_WINDOW);
  readonly #record: CallRecord;
  readonly #pipeline: FramePipeline<FrameJob, StreamFramesResponse>;
  readonly #reuse: FrameReuse;

  constructor(
    task: TaskRequest,
    record: CallRecord,
    pipeline: FramePipeline<FrameJob, StreamFramesResponse>,
    reuse: FrameReuse,
  ) {
    this.#current = task;
    this.#record = record;
    this.#pipeline = pipeline;
    this.#reuse = reuse;
  }

  /**
   * Admits one message; returns the error that ends the stream when it is not a frame. Resolves
   * once the frame is queued (with reuse on, after its thumbnail: frames are compared in order).
   */
  async admit(message: StreamFramesRequest): Promise<FlorenceError | undefined> {
    if (message.message.case !== "frame") {
      return new FlorenceError(
        "invalid_argument",
        message.message.case === "config"
          ? "config: a stream takes one StreamConfig, as its first message; change the task with Frame.task"
          : "a StreamFramesRequest must set config or frame",
      );
    }
    const frame = message.message.value;
    this.#record.images++;
    this.#record.bytes += imageBytes(frame.image);
    const v = new Violations();
    if (frame.task !== undefined) {
      const changed = toTaskRequest(frame.task, "frame.task.", v);
      if (changed !== undefined) this.#current = changed;
    }
    const job = { frameId: frame.frameId, timestampUs: frame.timestampUs, task: this.#current };
    if (!this.#recentIds.add(frame.frameId)) {
      v.add(
        "invalid_argument",
        "frame.frame_id",
        `frame id ${frame.frameId} was already used by one of this stream's last ${DUPLICATE_FRAME_ID_WINDOW} frames; give every frame its own id (e.g. a counter)`,
      );
    }
    const image = toImageInput(frame.image, "frame.image", v);
    if (v.isEmpty && image !== undefined) {
      const decision = await this.#reuse.decide({ ...job, image });
      if ("reuse" in decision) this.#pipeline.pushLater({ ...job, image }, decision.reuse);
      else this.#pipeline.push({ ...job, image, ...decision.run });
    } else this.#pipeline.pushAnswer(answer(job, { case: "error", value: toFrameError(v.toError()) }));
    return undefined;
  }
}

interface FrameReading {
  readonly deps: ServiceDeps;
  readonly pipeline: FramePipeline<FrameJob, StreamFramesResponse>;
  readonly admission: FrameAdmission;
  readonly idle: IdleTimer;
  readonly stopReading: AbortSignal;
  readonly timeLimit: AbortController;
  /** The stream's own abort: the client went away or the handler ended. */
  readonly abort: AbortSignal;
}

/**
 * Reads frames while the pipeline has room, until the client ends the stream, a message ends it,
 * a time limit passes or the server drains. `fatal`: the error to end the stream with;
 * `drained`: the server's drain stopped the reading.
 */
async function readFrames(
  iterator: AsyncIterator<StreamFramesRequest>,
  r: FrameReading,
): Promise<{ fatal: unknown; drained: boolean }> {
  let fatal: unknown;
  let drained = false;
  try {
    for (;;) {
      await r.pipeline.waitForRoom(r.stopReading);
      const next = r.stopReading.aborted ? undefined : await nextOrStop(iterator, r.stopReading);
      if (next === undefined) {
        if (r.timeLimit.signal.aborted && !r.abort.aborted) fatal = r.timeLimit.signal.reason;
        else drained = r.deps.calls.draining && !r.abort.aborted;
        break;
      }
      r.idle.touch();
      if (next.done) break;
      fatal = await r.admission.admit(next.value);
      if (fatal !== undefined) break;
    }
  } catch (e) {
    fatal = e;
  } finally {
    r.pipeline.finish();
  }
  return { fatal, drained };
}

/** Hands a frame's answer to the reuse reference waiting for it, if the frame is one. */
function settled(job: FrameJob, response: StreamFramesResponse): StreamFramesResponse {
  job.settle?.(response);
  return response;
}

function shuttingDown(): FlorenceError {
  return new FlorenceError(
    "unavailable",
    "the server is shutting down: every frame received so far was answered; reconnect (to another instance) to continue",
  );
}

/**
 * The iterator's next message, or undefined once `stop` aborts. A next() abandoned this way keeps
 * its handlers, so its eventual rejection is never unhandled.
 */
function nextOrStop<T>(iterator: AsyncIterator<T>, stop: AbortSignal): Promise<IteratorResult<T> | undefined> {
  if (stop.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onStop = () => resolve(undefined);
    stop.addEventListener("abort", onStop, { once: true });
    iterator.next().then(
      (result) => {
        stop.removeEventListener("abort", onStop);
        resolve(result);
      },
      (e: unknown) => {
        stop.removeEventListener("abort", onStop);
        reject(e);
      },
    );
  });
}
