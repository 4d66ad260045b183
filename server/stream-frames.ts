/**
 * FlorenceService.StreamFrames: a bidirectional stream of video frames. The first message
 * configures the stream; each frame is validated on arrival, run through the engine (in the
 * admission queue like any request) and answered exactly once, in order, by FramePipeline. A bad
 * frame gets a per-frame error answer; only problems with the stream itself end it with a status.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { StreamFramesRequest, StreamFramesResponse } from "../gen/florence/v1/frames_pb.js";
import { BackpressureModeSchema, StreamFramesResponseSchema } from "../gen/florence/v1/frames_pb.js";
import type { TaskRequest } from "../models/engine.js";
import { FlorenceError } from "../models/errors.js";
import type { GenerationOptions, ImageInput } from "../models/inputs.js";
import type { CallRecord, ServiceDeps } from "./call-context.js";
import { streamCall, withEngine } from "./call-context.js";
import type { BackpressureModeName } from "./enums.js";
import { BACKPRESSURE_MODE, describeEnumValues, TASK_BY_NAME } from "./enums.js";
import { toFrameError } from "./errors.js";
import { FramePipeline } from "./frame-pipeline.js";
import { toTaskResultMessage, toTimingsMessage } from "./to-proto.js";
import type { RequestLimits } from "./validation.js";
import { imageBytes, toGenerationOptions, toImageInput, toTaskRequest, Violations } from "./validation.js";

/**
 * LATEST mode keeps reading while the engine is busy; it pauses only when this many answers wait
 * for a client that does not read them, so memory stays bounded.
 */
const MAX_UNANSWERED_LATEST = 256;

/** A validated StreamConfig. */
export interface StreamSettings {
  readonly task: TaskRequest;
  readonly options: GenerationOptions;
  readonly mode: BackpressureModeName;
  readonly maxInFlight: number;
}

interface FrameJob {
  readonly frameId: bigint;
  readonly timestampUs: bigint;
  readonly task: TaskRequest;
  readonly image: ImageInput;
}

/** Validates the first message of a stream; throws `invalid_argument` with every violation. */
export function toStreamSettings(first: StreamFramesRequest, limits: RequestLimits): StreamSettings {
  const v = new Violations();
  if (first.message.case !== "config") {
    v.add("invalid_argument", "config", "the first message must be a StreamConfig (StreamFramesRequest.config); send frames after it");
    throw v.toError();
  }
  const config = first.message.value;
  let task: TaskRequest | undefined;
  if (config.task === undefined) v.add("invalid_argument", "config.task", "is required: set the task (and its text or region)");
  else task = toTaskRequest(config.task, "config.task.", v);
  const options = toGenerationOptions(config.options, "config.options", limits, v);
  const mode = BACKPRESSURE_MODE.get(config.backpressure);
  if (mode === undefined) {
    v.add("invalid_argument", "config.backpressure", `unknown value ${config.backpressure}; use one of ${describeEnumValues(BackpressureModeSchema)}`);
  }
  const maxInFlight = config.maxInFlight === 0 ? 1 : config.maxInFlight;
  if (maxInFlight > limits.maxFramesInFlightPerStream) {
    v.add("invalid_argument", "config.max_in_flight", `must be at most ${limits.maxFramesInFlightPerStream} on this server, got ${maxInFlight}`);
  }
  v.throwIfAny();
  if (task === undefined || mode === undefined) throw v.toError(); // unreachable: violations recorded
  return { task, options, mode, maxInFlight };
}

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
  const stopReading = AbortSignal.any([abort.signal, deps.calls.drainSignal]);
  try {
    const iterator = requests[Symbol.asyncIterator]();
    const first = await nextOrStop(iterator, stopReading);
    if (first === undefined || first.done) {
      if (deps.calls.draining) throw shuttingDown();
      return;
    }
    const settings = toStreamSettings(first.value, deps.options);
    // The stream's frames share one fairness lane: a fast stream cannot crowd out the others.
    const lane = `stream:${nextStreamId++}`;
    const frames = { results: 0, skipped: 0, errors: 0 };
    record.task = settings.task.task;
    record.frames = frames;
    let current = settings.task;
    let fatal: unknown;
    let drained = false;

    const pipeline = new FramePipeline<FrameJob, StreamFramesResponse>({
      mode: settings.mode,
      maxInFlight: settings.maxInFlight,
      maxUnanswered: MAX_UNANSWERED_LATEST,
      signal: abort.signal,
      run: (job, signal) => runFrame(deps, record, job, { ...settings.options, lane }, signal),
      skip: (job, newer) =>
        answer(job, {
          case: "skipped",
          value: { reason: `superseded by frame ${newer.frameId}`, supersededBy: newer.frameId },
        }),
      fail: (job, e) => answer(job, { case: "error", value: toFrameError(e, abort.signal) }),
    });

    const admit = (message: StreamFramesRequest): boolean => {
      if (message.message.case !== "frame") {
        fatal = new FlorenceError(
          "invalid_argument",
          message.message.case === "config"
            ? "config: a stream takes one StreamConfig, as its first message; change the task with Frame.task"
            : "a StreamFramesRequest must set config or frame",
        );
        return false;
      }
      const frame = message.message.value;
      record.images++;
      record.bytes += imageBytes(frame.image);
      const v = new Violations();
      if (frame.task !== undefined) {
        const changed = toTaskRequest(frame.task, "frame.task.", v);
        if (changed !== undefined) current = changed;
      }
      const job = { frameId: frame.frameId, timestampUs: frame.timestampUs, task: current };
      const image = toImageInput(frame.image, "frame.image", v);
      if (v.isEmpty && image !== undefined) pipeline.push({ ...job, image });
      else pipeline.pushAnswer(answer(job, { case: "error", value: toFrameError(v.toError()) }));
      return true;
    };

    const reader = (async () => {
      try {
        for (;;) {
          await pipeline.waitForRoom(stopReading);
          const next = stopReading.aborted ? undefined : await nextOrStop(iterator, stopReading);
          if (next === undefined) {
            drained = deps.calls.draining && !abort.signal.aborted;
            return;
          }
          if (next.done || !admit(next.value)) return;
        }
      } catch (e) {
        fatal = e;
      } finally {
        pipeline.finish();
      }
    })();

    for await (const response of pipeline.answers()) {
      if (response.outcome.case === "result") frames.results++;
      else if (response.outcome.case === "skipped") frames.skipped++;
      else frames.errors++;
      yield response;
    }
    await reader;
    if (abort.signal.aborted) return;
    if (fatal !== undefined) throw fatal;
    if (drained) throw shuttingDown();
  } finally {
    abort.abort();
    context.signal.removeEventListener("abort", onCallAbort);
    releaseStream();
  }
}

let nextStreamId = 1;

async function runFrame(
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
  return answer(job, { case: "result", value: toTaskResultMessage(result) }, toTimingsMessage(queueMs, modelMs, stages));
}

function answer(
  job: Pick<FrameJob, "frameId" | "timestampUs" | "task">,
  outcome: NonNullable<StreamFramesResponseInit["outcome"]>,
  timings = toTimingsMessage(0, 0),
): StreamFramesResponse {
  return create(StreamFramesResponseSchema, {
    frameId: job.frameId,
    timestampUs: job.timestampUs,
    task: TASK_BY_NAME[job.task.task],
    timings,
    outcome,
  });
}

type StreamFramesResponseInit = MessageInitShape<typeof StreamFramesResponseSchema>;

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
