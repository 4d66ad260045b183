/**
 * What every handler shares (engine, limits, admission queue, call tracking, logger) and the two
 * wrappers that give each RPC the same life cycle: refuse while draining, run, map errors through
 * errors.ts, and log one JSON line with what the handler recorded.
 */
import type { ConnectError, HandlerContext } from "@connectrpc/connect";
import { Code, createContextKey, createContextValues } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { DecodingParams } from "../core/decoding.js";
import type { ImageInput, TaskRequest } from "../core/inputs.js";
import type { ModelInfo } from "../core/model-info.js";
import type { RunTimings } from "../core/timings.js";
import type { FlorenceEngine } from "../models/engine.js";
import { probeImageSize } from "../models/index.js";
import type { AdmissionQueue, SlotLimit } from "./admission.js";
import { callerKey } from "./auth.js";
import type { CallTracker } from "./call-tracker.js";
import type { EngineHandle } from "./engine-handle.js";
import { isServerFault, toConnectError } from "./errors.js";
import type { Logger, RequestLogEntry } from "./logger.js";
import { describeCause } from "./logger.js";
import type { ServerOptions } from "./options.js";
import { modelLimitViolations, pixelBudgetViolations, Violations } from "./validation.js";

export interface ServiceDeps {
  readonly options: Readonly<ServerOptions>;
  readonly engine: EngineHandle;
  readonly admission: AdmissionQueue;
  readonly streams: SlotLimit;
  readonly calls: CallTracker;
  readonly logger: Logger;
}

/** What a handler records about its call for the log line. */
export interface CallRecord {
  task?: string;
  images: number;
  bytes: number;
  queueMs: number;
  modelMs: number;
  frames?: { results: number; skipped: number; errors: number };
}

/** The client connection a call came on ("address:port"), set for every call by server.ts. */
const connectionKey = createContextKey<string>("", { description: "client connection" });

/** Context values for a request arriving on `socket`: what `laneOf` reads. */
export function connectionContextValues(socket: { readonly remoteAddress?: string | undefined; readonly remotePort?: number | undefined }) {
  return createContextValues().set(connectionKey, `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`);
}

/**
 * The engine's fairness lane for a unary call: its client connection, so a client that floods
 * the server over one connection takes one place per batch round, not all of them.
 */
export function laneOf(context: HandlerContext): string {
  return `conn:${context.values.get(connectionKey)}`;
}

function newRecord(): CallRecord {
  return { images: 0, bytes: 0, queueMs: 0, modelMs: 0 };
}

/** Wraps a unary handler: draining check, error mapping, one log line. */
export function unaryCall<I, O>(
  deps: ServiceDeps,
  handler: (request: I, context: HandlerContext, record: CallRecord) => Promise<O>,
): (request: I, context: HandlerContext) => Promise<O> {
  return async (request, context) => {
    const record = newRecord();
    const start = performance.now();
    let leave: (() => void) | undefined;
    try {
      leave = deps.calls.enter();
      const response = await handler(request, context, record);
      logCall(deps, context, record, start, undefined);
      return response;
    } catch (e) {
      const error = toConnectError(e, context.signal);
      logCall(deps, context, record, start, error);
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
    const record = newRecord();
    const start = performance.now();
    let leave: (() => void) | undefined;
    let failure: ConnectError | undefined;
    try {
      leave = deps.calls.enter();
      yield* handler(requests, context, record);
    } catch (e) {
      failure = toConnectError(e, context.signal);
      throw failure;
    } finally {
      leave?.();
      // A client that goes away mid-stream ends the generator without an error: log it as cancelled.
      const cancelled =
        failure === undefined && context.signal.aborted ? toConnectError(undefined, context.signal) : undefined;
      logCall(deps, context, record, start, failure ?? cancelled);
    }
  };
}

/** The engine as `work` sees it inside withEngine: every call is checked, then admitted. */
export type AdmittedEngine = Pick<FlorenceEngine, "info" | "run" | "runTasks">;

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
 * full. `caller` is the handler's context (for its deadline), or just a signal.
 */
export async function withEngine<T>(
  deps: ServiceDeps,
  record: CallRecord,
  caller: AbortSignal | CallerDeadline,
  work: (engine: AdmittedEngine, onTimings: (timings: RunTimings) => void) => Promise<T>,
): Promise<{ readonly value: T; readonly queueMs: number; readonly modelMs: number; readonly stages: RunTimings | undefined }> {
  const engine = deps.engine.get();
  const { signal, timeoutMs } = caller instanceof AbortSignal ? { signal: caller, timeoutMs: () => undefined } : caller;
  const reported: { stages?: RunTimings } = {};
  let queueMs = 0;
  let modelMs = 0;
  const admitted = async <R>(call: EngineCall, run: () => Promise<R>): Promise<R> => {
    await checkModelLimits(engine.info, deps.options.maxRequestMegapixels, call);
    const ticket = await deps.admission.acquire(signal, timeoutMs());
    const start = performance.now();
    try {
      return await run();
    } finally {
      const ms = performance.now() - start;
      modelMs += ms;
      queueMs += ticket.queueMs;
      record.modelMs += ms;
      record.queueMs += ticket.queueMs;
      ticket.release();
    }
  };
  const view: AdmittedEngine = {
    info: engine.info,
    run: (request, images, options = {}) =>
      admitted({ tasks: [request], images, options, taskField: () => "", imageField: "images" }, () => engine.run(request, images, options)),
    runTasks: (requests, image, options = {}) =>
      admitted({ tasks: requests, images: [image], options, taskField: (i) => `tasks[${i}].`, imageField: "image" }, () =>
        engine.runTasks(requests, image, options),
      ),
  };
  const value = await work(view, (timings) => {
    reported.stages = timings;
  });
  return { value, queueMs, modelMs, stages: reported.stages };
}

/** One engine call's inputs, with the paths that name its fields in violations. */
interface EngineCall {
  readonly tasks: readonly TaskRequest[];
  readonly images: readonly ImageInput[];
  readonly options: DecodingParams;
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
  const sizes = await Promise.all(call.images.map((image) => probeImageSize(image).catch(() => ({ width: 0, height: 0 }))));
  pixelBudgetViolations(sizes, maxRequestMegapixels, call.imageField, v);
  v.throwIfAny();
}

function logCall(
  deps: ServiceDeps,
  context: HandlerContext,
  record: CallRecord,
  start: number,
  error: ConnectError | undefined,
): void {
  const code = error?.code;
  const level = code === undefined ? "info" : isServerFault(code) ? "error" : isClientFault(code) ? "info" : "warn";
  const caller = context.values.get(callerKey);
  const entry: RequestLogEntry = {
    level,
    msg: "request",
    method: `${context.service.typeName}/${context.method.name}`,
    protocol: context.protocolName,
    ...(caller === undefined ? {} : { caller }),
    ...(record.task === undefined ? {} : { task: record.task }),
    images: record.images,
    bytes: record.bytes,
    queueMs: round(record.queueMs),
    modelMs: round(record.modelMs),
    code: code === undefined ? "ok" : codeToString(code),
    durationMs: round(performance.now() - start),
    ...(record.frames === undefined ? {} : { frames: { ...record.frames } }),
    ...(error === undefined ? {} : { error: error.rawMessage }),
    ...(error !== undefined && isServerFault(error.code) && error.cause !== undefined
      ? { cause: describeCause(error.cause) }
      : {}),
  };
  deps.logger(entry);
}

function isClientFault(code: Code): boolean {
  return code === Code.InvalidArgument || code === Code.NotFound || code === Code.Canceled;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
