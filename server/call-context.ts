/**
 * What every handler shares (engine, limits, admission queue, call tracking, logger, metrics,
 * tracer) and the two wrappers that give each RPC the same life cycle: take or make its request id
 * (returned in `x-request-id`), start its span when tracing is on, refuse while draining, run, map
 * errors through errors.ts, then count it in the metrics, end its span and log one JSON line with
 * what the handler recorded (call-log.ts). Also withEngine, the way every handler reaches a model.
 */
import type { Span, Tracer } from "@opentelemetry/api";
import type { ConnectError, HandlerContext } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { ImageInput, TaskRequest } from "../core/inputs.js";
import type { ModelInfo } from "../core/model-info.js";
import type { TaskResult } from "../core/results.js";
import type { RunTimings } from "../core/timings.js";
import type { FlorenceEngine } from "../models/engine.js";
import { probeImageSize } from "../models/index.js";
import type { GenerationOptions } from "../models/inputs.js";
import type { AdmissionQueue, SlotLimit } from "./admission.js";
import { logCall, peerOf } from "./call-log.js";
import type { CallTracker } from "./call-tracker.js";
import { toConnectError } from "./errors.js";
import type { FrameCounts, Logger } from "./logger.js";
import type { ServerMetrics } from "./metrics.js";
import type { ModelRegistry } from "./model-registry.js";
import type { ServerOptions } from "./options.js";
import { parseTraceParent, REQUEST_ID_HEADER, requestIdFrom } from "./request-id.js";
import { endChildSpan, endRpcSpan, recordEngineCall, startChildSpan, startRpcSpan } from "./tracing.js";
import type { RequestLimits } from "../core/limits.js";
import { effectiveMaxNewTokens, modelLimitViolations, pixelBudgetViolations, Violations } from "./validation.js";

export interface ServiceDeps {
  readonly options: Readonly<ServerOptions>;
  readonly models: ModelRegistry;
  readonly admission: AdmissionQueue;
  readonly streams: SlotLimit;
  readonly calls: CallTracker;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  /** Set when tracing is on (ServerOptions.otlpEndpoint or tracerProvider). */
  readonly tracer: Tracer | undefined;
}

/** What a handler records about its call for the log line. */
export interface CallRecord {
  task?: string;
  /** The model's name (ModelRegistry.resolve of the request's `model`): withEngine runs on it. */
  model?: string;
  images: number;
  bytes: number;
  queueMs: number;
  modelMs: number;
  frames?: FrameCounts;
  /** The call's span and its tracer, when tracing is on: withEngine puts its spans under it. */
  trace?: { readonly tracer: Tracer; readonly span: Span };
}

/** Context values for a request arriving on a socket (server.ts sets them for every request). */
export { connectionContextValues } from "./call-log.js";

/**
 * The engine's fairness lane for a unary call: its client connection, so a client that floods
 * the server over one connection takes one place per batch round, not all of them.
 */
export function laneOf(context: HandlerContext): string {
  return `conn:${peerOf(context.values)}`;
}

/** A call from its start: what the handler records, and how it ends. */
interface OpenCall {
  readonly record: CallRecord;
  /** Counts the call in the metrics, ends its span and logs it. */
  finish(error: ConnectError | undefined): void;
}

/** Where a call's log line, metrics and span meet: its id, trace, peer and start time. */
function openCall(deps: ServiceDeps, context: HandlerContext, stream: boolean): OpenCall {
  const start = performance.now();
  const method = `${context.service.typeName}/${context.method.name}`;
  const peer = peerOf(context.values);
  const requestId = requestIdFrom(context.requestHeader.get(REQUEST_ID_HEADER));
  context.responseHeader.set(REQUEST_ID_HEADER, requestId);
  const parent = parseTraceParent(context.requestHeader.get("traceparent"));
  const record: CallRecord = { images: 0, bytes: 0, queueMs: 0, modelMs: 0 };
  if (deps.tracer !== undefined) {
    const span = startRpcSpan(deps.tracer, { method, parent, requestId, peer, protocol: context.protocolName });
    record.trace = { tracer: deps.tracer, span };
  }
  const traceId = record.trace?.span.spanContext().traceId ?? parent?.traceId;
  deps.metrics.callStarted();
  if (stream) deps.metrics.streamStarted(record);
  return {
    record,
    finish(error) {
      const durationMs = performance.now() - start;
      const code = error === undefined ? "ok" : codeToString(error.code);
      if (stream) deps.metrics.streamEnded(record);
      deps.metrics.callEnded(method, code, durationMs / 1000, record.model);
      if (record.trace !== undefined) endRpcSpan(record.trace.span, error?.code, error?.rawMessage);
      logCall(deps.logger, { context, method, requestId, traceId, peer, durationMs }, record, error);
    },
  };
}

/** Wraps a unary handler: draining check, error mapping, metrics, span, one log line. */
export function unaryCall<I, O>(
  deps: ServiceDeps,
  handler: (request: I, context: HandlerContext, record: CallRecord) => Promise<O>,
): (request: I, context: HandlerContext) => Promise<O> {
  return async (request, context) => {
    const call = openCall(deps, context, false);
    let leave: (() => void) | undefined;
    try {
      leave = deps.calls.enter();
      const response = await handler(request, context, call.record);
      call.finish(undefined);
      return response;
    } catch (e) {
      const error = toConnectError(e, context);
      call.finish(error);
      throw error;
    } finally {
      leave?.();
    }
  };
}

/** Wraps a streaming handler the same way; the log line is written when the stream ends. */
export function streamCall<I, O>(
  deps: ServiceDeps,
  handler: (requests: AsyncIterable<I>, context: HandlerContext, record: CallRecord) => AsyncIterable<O>,
): (requests: AsyncIterable<I>, context: HandlerContext) => AsyncIterable<O> {
  return async function* (requests, context) {
    const call = openCall(deps, context, true);
    let leave: (() => void) | undefined;
    let failure: ConnectError | undefined;
    try {
      leave = deps.calls.enter();
      yield* handler(requests, context, call.record);
    } catch (e) {
      failure = toConnectError(e, context);
      throw failure;
    } finally {
      leave?.();
      // A client that goes away mid-stream ends the generator without an error: log it as cancelled.
      const cancelled =
        failure === undefined && context.signal.aborted ? toConnectError(undefined, context) : undefined;
      call.finish(failure ?? cancelled);
    }
  };
}

/** The engine as `work` sees it inside withEngine: every call is checked, then admitted. */
export type AdmittedEngine = Pick<FlorenceEngine, "info" | "run" | "runEach" | "runTasks">;

/** A caller's cancellation signal and, where it has one, the time left before its deadline (connect's HandlerContext fits). */
export interface CallerDeadline {
  readonly signal: AbortSignal;
  readonly timeoutMs: () => number | undefined;
}

/**
 * Runs `work` on the loaded engine. Each engine call `work` makes is first checked against the
 * model's limits on this thread (text length in bytes, max_new_tokens against the decoder's
 * positions, decoded pixels from the image headers), so nothing the model cannot do reaches the
 * worker, then waits for an admission slot (refused at once when the queue's estimated wait is
 * longer than the caller's deadline), and runs holding that slot. The queue and model time are
 * added to the record; `work` passes `onTimings` to the engine call so the answer can carry its
 * stage timings. Throws `unavailable` while the model loads and `queue_full` when the queue is
 * full. `caller` is the handler's context (for its deadline), or just a signal. The answers'
 * generated tokens are counted in the metrics; with tracing on, each engine call's queue and stage
 * spans go under the call's span (streams: under a span of the frame this withEngine serves).
 */
/**
 * The request limits in force now: the server's options, with max_new_tokens capped by the named
 * (else the default) model's decoder positions, so a request over either limit is told the one that
 * really applies. While that model is not loaded, the server's own (withEngine checks the model's
 * once it has loaded).
 */
export function requestLimitsOf(deps: ServiceDeps, modelName?: string): RequestLimits {
  const model = deps.models.peek(modelName)?.info;
  if (model === undefined) return deps.options;
  return { ...deps.options, maxNewTokens: effectiveMaxNewTokens(deps.options.maxNewTokens, model) };
}

// One function on purpose: the order (model limits, admission, engine call, release, metrics and
// spans) is what keeps every request from holding a slot it does not need; it reads top to bottom.
export async function withEngine<T>(
  deps: ServiceDeps,
  record: CallRecord,
  caller: AbortSignal | CallerDeadline,
  work: (engine: AdmittedEngine, onTimings: (timings: RunTimings) => void) => Promise<T>,
): Promise<{
  readonly value: T;
  readonly queueMs: number;
  readonly modelMs: number;
  readonly stages: RunTimings | undefined;
}> {
  const { signal, timeoutMs } = caller instanceof AbortSignal ? { signal: caller, timeoutMs: () => undefined } : caller;
  // Waits for the model's load when it is not loaded (bounded by the caller's deadline); the lease
  // keeps it from being unloaded until this call ends.
  const lease = await deps.models.acquire(record.model, signal);
  record.model = lease.name;
  const engine = lease.engine;
  const reported: { stages?: RunTimings } = {};
  let queueMs = 0;
  let modelMs = 0;
  const trace = record.trace;
  const frameSpan =
    trace !== undefined && record.frames !== undefined
      ? startChildSpan(trace.tracer, trace.span, "stream_frame")
      : undefined;
  const admitted = async <R>(
    call: EngineCall,
    run: (options: GenerationOptions) => Promise<R[]>,
    resultOf: (answer: R) => TaskResult | undefined,
  ): Promise<R[]> => {
    await checkModelLimits(engine.info, deps.options.maxRequestMegapixels, call);
    const queuedAt = performance.now();
    const ticket = await deps.admission.acquire(signal, timeoutMs());
    const start = performance.now();
    // Traced calls always ask the engine for their stage timings, for the stage spans.
    let stages: RunTimings | undefined;
    const options: GenerationOptions =
      trace === undefined
        ? call.options
        : {
            ...call.options,
            onTimings: (timings) => {
              stages = timings;
              call.options.onTimings?.(timings);
            },
          };
    try {
      const results = await run(options);
      deps.metrics.generatedTokens(
        results.reduce((sum, r) => sum + (resultOf(r)?.generatedTokens ?? 0), 0),
        lease.name,
      );
      return results;
    } finally {
      const end = performance.now();
      modelMs += end - start;
      queueMs += ticket.queueMs;
      record.modelMs += end - start;
      record.queueMs += ticket.queueMs;
      ticket.release();
      if (trace !== undefined)
        recordEngineCall(trace.tracer, frameSpan ?? trace.span, { queuedAt, admittedAt: start, endedAt: end }, stages);
    }
  };
  const view: AdmittedEngine = {
    info: engine.info,
    run: (request, images, options = {}) =>
      admitted(
        { tasks: [request], images, options, taskField: () => "", imageField: "images" },
        (o) => engine.run(request, images, o),
        (r) => r,
      ),
    runEach: (request, images, options = {}) =>
      admitted(
        { tasks: [request], images, options, taskField: () => "", imageField: "images" },
        (o) => engine.runEach(request, images, o),
        (outcome) => (outcome.ok ? outcome.result : undefined),
      ),
    runTasks: (requests, image, options = {}) =>
      admitted(
        { tasks: requests, images: [image], options, taskField: (i) => `tasks[${i}].`, imageField: "image" },
        (o) => engine.runTasks(requests, image, o),
        (r) => r,
      ),
  };
  let failure: unknown;
  try {
    const value = await work(view, (timings) => {
      reported.stages = timings;
    });
    return { value, queueMs, modelMs, stages: reported.stages };
  } catch (e) {
    failure = e;
    throw e;
  } finally {
    lease.release();
    if (frameSpan !== undefined) endChildSpan(frameSpan, failure);
  }
}

/** One engine call's inputs, with the paths that name its fields in violations. */
interface EngineCall {
  readonly tasks: readonly TaskRequest[];
  readonly images: readonly ImageInput[];
  readonly options: GenerationOptions;
  /** Prefix of the i-th task's fields, e.g. "tasks[1]." ("" for a call's one task). */
  readonly taskField: (index: number) => string;
  /** The field that holds the call's images: "images" or "image". */
  readonly imageField: string;
}

/** Throws the FlorenceError of everything in `call` the model or the pixel budget does not allow. */
async function checkModelLimits(model: ModelInfo, maxRequestMegapixels: number, call: EngineCall): Promise<void> {
  const v = new Violations();
  modelLimitViolations(model, call.tasks, call.options, call.taskField, v);
  v.throwIfAny();
  // An image whose header cannot be read counts nothing here: decoding refuses it in the engine,
  // before any pixel work, with the error that says what is wrong with it.
  const sizes = await Promise.all(
    call.images.map((image) => probeImageSize(image).catch(() => ({ width: 0, height: 0 }))),
  );
  pixelBudgetViolations(sizes, maxRequestMegapixels, call.imageField, v);
  v.throwIfAny();
}
