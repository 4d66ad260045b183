/**
 * FlorenceService.StreamFrames: a bidirectional stream of video frames. The first message
 * configures the stream; each frame is validated on arrival, run through the engine (in the
 * admission queue like any request) and answered exactly once, in order, by FramePipeline. A bad
 * frame gets a per-frame error answer; only problems with the stream itself end it with a status.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { DecodingParams } from "../core/decoding.js";
import type { ImageInput, TaskRequest } from "../core/inputs.js";
import type { RequestLimits } from "../core/limits.js";
import type { StreamFramesRequest, StreamFramesResponse } from "../gen/florence/v1/frames_pb.js";
import { BackpressureModeSchema, StreamFramesResponseSchema } from "../gen/florence/v1/frames_pb.js";
import { FlorenceError, isFlorenceError } from "../models/errors.js";
import { probeImageSize } from "../models/index.js";
import type { GenerationOptions } from "../models/inputs.js";
import type { CallRecord, ServiceDeps } from "./call-context.js";
import { streamCall, withEngine } from "./call-context.js";
import type { BackpressureModeName } from "./enums.js";
import { BACKPRESSURE_MODE, describeEnumValues, TASK_BY_NAME } from "./enums.js";
import { toFrameError } from "./errors.js";
import { FramePipeline } from "./frame-pipeline.js";
import { toTaskResultMessage, toTimingsMessage } from "./to-proto.js";
import { imageBytes, toGenerationOptions, toImageInput, toTaskRequest, Violations } from "./validation.js";

/**
 * LATEST mode keeps reading while the engine is busy; it pauses only when this many answers wait
 * for a client that does not read them, so memory stays bounded.
 */
const MAX_UNANSWERED_LATEST = 256;

/**
 * A frame whose id equals one of the stream's last this-many frame ids is refused as a duplicate.
 * A window, not every id ever seen: a stream may run for millions of frames, and its memory must
 * not grow with them (1024 bigints are a few tens of KB).
 */
export const DUPLICATE_FRAME_ID_WINDOW = 1024;

/** The last `capacity` ids added, to find a repeated id in O(1) with bounded memory. */
export class RecentIds {
  readonly #capacity: number;
  readonly #seen = new Set<bigint>();
  readonly #ring: bigint[] = [];
  #next = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Records `id`; false (recording nothing) when it is among the last `capacity` ids recorded. */
  add(id: bigint): boolean {
    if (this.#seen.has(id)) return false;
    if (this.#ring.length < this.#capacity) {
      this.#ring.push(id);
    } else {
      this.#seen.delete(this.#ring[this.#next] as bigint);
      this.#ring[this.#next] = id;
      this.#next = (this.#next + 1) % this.#capacity;
    }
    this.#seen.add(id);
    return true;
  }
}

/**
 * Calls `onIdle` once the stream has had nothing in flight (`busy()` false) and seen no activity
 * (`touch()`) for `ms`. While busy, the clock does not run: a stream waiting for a slow model
 * is not idle.
 */
export class IdleTimer {
  readonly #ms: number;
  readonly #busy: () => boolean;
  readonly #onIdle: () => void;
  #last = performance.now();
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number, busy: () => boolean, onIdle: () => void) {
    this.#ms = ms;
    this.#busy = busy;
    this.#onIdle = onIdle;
    this.#arm(ms);
  }

  touch(): void {
    this.#last = performance.now();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(delay: number): void {
    this.#timer = setTimeout(() => this.#check(), delay);
  }

  #check(): void {
    const now = performance.now();
    if (this.#busy()) this.#last = now;
    const idle = now - this.#last;
    if (idle >= this.#ms) {
      this.#timer = undefined;
      this.#onIdle();
    } else {
      this.#arm(this.#ms - idle);
    }
  }
}

/**
 * The status of a stream that ran past one of the server's stream time limits. DEADLINE_EXCEEDED,
 * not INVALID_ARGUMENT: nothing the client sent was wrong, the stream ran out of the time the
 * server gives it; the message says which limit and what to do.
 */
function streamTimeLimit(message: string): FlorenceError {
  return new FlorenceError("deadline_exceeded", message);
}

/** A validated StreamConfig. */
export interface StreamSettings {
  readonly task: TaskRequest;
  readonly options: DecodingParams;
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
  // Aborted (with the status to end the stream with) when the stream runs past a time limit.
  const timeLimit = new AbortController();
  const stopReading = AbortSignal.any([abort.signal, deps.calls.drainSignal, timeLimit.signal]);
  const configMs = deps.options.streamConfigTimeoutMs;
  const configTimer = setTimeout(
    () =>
      timeLimit.abort(
        streamTimeLimit(
          `no StreamConfig within ${configMs} ms of opening the stream: send StreamFramesRequest.config as the first message, right away; the stream was closed to free its slot`,
        ),
      ),
    configMs,
  );
  let idle: IdleTimer | undefined;
  try {
    const iterator = requests[Symbol.asyncIterator]();
    const first = await nextOrStop(iterator, stopReading);
    clearTimeout(configTimer);
    if (first === undefined || first.done) {
      if (timeLimit.signal.aborted && !abort.signal.aborted) throw timeLimit.signal.reason;
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
    const recentIds = new RecentIds(DUPLICATE_FRAME_ID_WINDOW);

    const pipeline = new FramePipeline<FrameJob, StreamFramesResponse>({
      mode: settings.mode,
      maxInFlight: settings.maxInFlight,
      maxUnanswered: MAX_UNANSWERED_LATEST,
      signal: abort.signal,
      run: (job, signal) => runFrame(deps, record, job, { ...settings.options, lane }, signal),
      skip: (job, newer) => skipAnswer(job, newer),
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
      if (!recentIds.add(frame.frameId)) {
        v.add(
          "invalid_argument",
          "frame.frame_id",
          `frame id ${frame.frameId} was already used by one of this stream's last ${DUPLICATE_FRAME_ID_WINDOW} frames; give every frame its own id (e.g. a counter)`,
        );
      }
      const image = toImageInput(frame.image, "frame.image", v);
      if (v.isEmpty && image !== undefined) pipeline.push({ ...job, image });
      else pipeline.pushAnswer(answer(job, { case: "error", value: toFrameError(v.toError()) }));
      return true;
    };

    const idleMs = deps.options.streamIdleTimeoutMs;
    idle = new IdleTimer(
      idleMs,
      () => pipeline.outstanding > 0,
      () =>
        timeLimit.abort(
          streamTimeLimit(
            `no frame for ${idleMs} ms with every frame answered: the stream was idle and was closed to free its slot; open a new stream when there are frames to send`,
          ),
        ),
    );
    const reader = (async () => {
      try {
        for (;;) {
          await pipeline.waitForRoom(stopReading);
          const next = stopReading.aborted ? undefined : await nextOrStop(iterator, stopReading);
          if (next === undefined) {
            if (timeLimit.signal.aborted && !abort.signal.aborted) fatal = timeLimit.signal.reason;
            else drained = deps.calls.draining && !abort.signal.aborted;
            return;
          }
          idle?.touch();
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
      idle.touch();
      yield response;
      idle.touch();
    }
    await reader;
    if (abort.signal.aborted) return;
    if (fatal !== undefined) throw fatal;
    if (drained) throw shuttingDown();
  } finally {
    clearTimeout(configTimer);
    idle?.stop();
    abort.abort();
    context.signal.removeEventListener("abort", onCallAbort);
    releaseStream();
  }
}

/**
 * The answer of a LATEST-mode frame replaced by a newer one: "skipped", unless its image cannot
 * be decoded at all. That is checked from the header alone (no pixel is decoded), so a client
 * sending garbage learns it even when every garbage frame is superseded.
 */
async function skipAnswer(job: FrameJob, newer: FrameJob): Promise<StreamFramesResponse> {
  try {
    await probeImageSize(job.image);
  } catch (e) {
    if (!isFlorenceError(e)) throw e;
    const field = "frame.image";
    const error = new FlorenceError(e.kind, `${field}: ${e.message}`, { cause: e, violations: [{ field, description: e.message }] });
    return answer(job, { case: "error", value: toFrameError(error) });
  }
  return answer(job, {
    case: "skipped",
    value: { reason: `superseded by frame ${newer.frameId}`, supersededBy: newer.frameId },
  });
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
