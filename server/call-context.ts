/**
 * What every handler shares (engine, limits, admission queue, call tracking, logger) and the two
 * wrappers that give each RPC the same life cycle: refuse while draining, run, map errors through
 * errors.ts, and log one JSON line with what the handler recorded.
 */
import type { ConnectError, HandlerContext } from "@connectrpc/connect";
import { Code, createContextKey, createContextValues } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { FlorenceEngine, RunTimings } from "../models/engine.js";
import type { AdmissionQueue, SlotLimit } from "./admission.js";
import type { CallTracker } from "./call-tracker.js";
import type { EngineHandle } from "./engine-handle.js";
import { isServerFault, toConnectError } from "./errors.js";
import type { Logger, RequestLogEntry } from "./logger.js";
import { describeCause } from "./logger.js";
import type { ServerOptions } from "./options.js";

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

/**
 * Runs `work` on the loaded engine inside an admission slot, adding the queue and model time to
 * the record; `work` passes `onTimings` to the engine call so the answer can carry its stage
 * timings. Throws `unavailable` while the model loads and `queue_full` when the queue is full.
 */
export async function withEngine<T>(
  deps: ServiceDeps,
  record: CallRecord,
  signal: AbortSignal,
  work: (engine: FlorenceEngine, onTimings: (timings: RunTimings) => void) => Promise<T>,
): Promise<{ readonly value: T; readonly queueMs: number; readonly modelMs: number; readonly stages: RunTimings | undefined }> {
  const engine = deps.engine.get();
  const ticket = await deps.admission.acquire(signal);
  const start = performance.now();
  const reported: { stages?: RunTimings } = {};
  try {
    const value = await work(engine, (timings) => {
      reported.stages = timings;
    });
    const modelMs = performance.now() - start;
    record.queueMs += ticket.queueMs;
    record.modelMs += modelMs;
    return { value, queueMs: ticket.queueMs, modelMs, stages: reported.stages };
  } finally {
    ticket.release();
  }
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
  const entry: RequestLogEntry = {
    level,
    msg: "request",
    method: `${context.service.typeName}/${context.method.name}`,
    protocol: context.protocolName,
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
