/**
 * Who a call came from and the one log line it ends with. call-context.ts writes the line of every
 * call our handlers ran; errors.ts writes the line of a unary call connect refused before any
 * handler ran (a request over readMaxBytes), so that a refused call is in the log too.
 */
import type { ConnectError, ContextValues, HandlerContext } from "@connectrpc/connect";
import { Code, createContextKey, createContextValues } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { callerKey } from "./auth.js";
import type { FrameCounts, Logger, RequestLogEntry } from "./logger.js";
import { describeCause } from "./logger.js";
import { REQUEST_ID_HEADER, requestIdFrom } from "./request-id.js";

/** The client connection a call came on ("address:port"), set for every call by server.ts. */
const connectionKey = createContextKey<string>("", { description: "client connection" });

/** Context values for a request arriving on `socket`: what `peerOf` reads. */
export function connectionContextValues(socket: {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}) {
  return createContextValues().set(connectionKey, `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`);
}

/** The call's client connection, "address:port" ("" when the server set none). */
export function peerOf(values: ContextValues | undefined): string {
  return values?.get(connectionKey) ?? "";
}

/** Codes whose cause an operator should see in the log (and that mark a span as an error). */
export function isServerFault(code: Code): boolean {
  return code === Code.Internal || code === Code.FailedPrecondition || code === Code.Unknown;
}

function isClientFault(code: Code): boolean {
  return code === Code.InvalidArgument || code === Code.NotFound || code === Code.Canceled;
}

function levelOf(code: Code | undefined): RequestLogEntry["level"] {
  if (code === undefined) return "info";
  return isServerFault(code) ? "error" : isClientFault(code) ? "info" : "warn";
}

/**
 * The limit named in connect's "message size ... is larger than configured readMaxBytes N", so
 * the log line carries it as a number; undefined for every other message.
 */
export function readLimitOf(message: string): number | undefined {
  const match = /larger than configured readMaxBytes (\d+)/.exec(message);
  return match === null ? undefined : Number(match[1]);
}

/** What the handler recorded about its call, as the log line needs it. */
export interface LoggedRecord {
  readonly task?: string | undefined;
  readonly model?: string | undefined;
  readonly images: number;
  readonly bytes: number;
  readonly queueMs: number;
  readonly modelMs: number;
  readonly frames?: Readonly<FrameCounts> | undefined;
}

/** What identifies a finished call in its log line. */
export interface CallIdentity {
  readonly context: HandlerContext;
  readonly method: string;
  readonly requestId: string;
  readonly traceId: string | undefined;
  readonly peer: string;
  readonly durationMs: number;
}

/** Logs one call our handler ran, with what it recorded. */
export function logCall(
  logger: Logger,
  call: CallIdentity,
  record: LoggedRecord,
  error: ConnectError | undefined,
): void {
  const code = error?.code;
  const caller = call.context.values.get(callerKey);
  const limit = error === undefined ? undefined : readLimitOf(error.rawMessage);
  logger({
    level: levelOf(code),
    msg: "request",
    requestId: call.requestId,
    ...(call.traceId === undefined ? {} : { traceId: call.traceId }),
    peer: call.peer,
    method: call.method,
    protocol: call.context.protocolName,
    ...(caller === undefined ? {} : { caller }),
    ...(record.task === undefined ? {} : { task: record.task }),
    ...(record.model === undefined ? {} : { model: record.model }),
    images: record.images,
    bytes: record.bytes,
    queueMs: round(record.queueMs),
    modelMs: round(record.modelMs),
    code: code === undefined ? "ok" : codeToString(code),
    durationMs: round(call.durationMs),
    ...(record.frames === undefined ? {} : { frames: { ...record.frames } }),
    ...(error === undefined ? {} : { error: error.rawMessage }),
    ...(limit === undefined ? {} : { readMaxBytes: limit }),
    ...(error !== undefined && isServerFault(error.code) && error.cause !== undefined
      ? { cause: describeCause(error.cause) }
      : {}),
  });
}

/** A call connect answered with an error before any handler of ours ran. */
export interface RefusedCall {
  /** "florence.v1.FlorenceService/CaptionImage". */
  readonly method: string;
  /** "grpc", "grpc-web" or "connect", as connect names them. */
  readonly protocol: string;
  readonly requestHeader: Headers;
  readonly contextValues: ContextValues | undefined;
  readonly code: Code;
  /** The message connect answered with (it names sizes, never the payload). */
  readonly message: string;
  readonly durationMs: number;
}

/**
 * Logs a refused call as a `request` line like any other (no task, model or payload: nothing of
 * the request was read), with the size limit when the refusal was readMaxBytes'.
 */
export function logRefusedCall(logger: Logger, call: RefusedCall): void {
  const caller = call.contextValues?.get(callerKey);
  const limit = readLimitOf(call.message);
  logger({
    level: levelOf(call.code),
    msg: "request",
    requestId: requestIdFrom(call.requestHeader.get(REQUEST_ID_HEADER)),
    peer: peerOf(call.contextValues),
    method: call.method,
    protocol: call.protocol,
    ...(caller === undefined ? {} : { caller }),
    images: 0,
    bytes: 0,
    queueMs: 0,
    modelMs: 0,
    code: codeToString(call.code),
    durationMs: round(call.durationMs),
    error: call.message,
    ...(limit === undefined ? {} : { readMaxBytes: limit }),
  });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
