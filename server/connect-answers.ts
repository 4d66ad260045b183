/**
 * The answers connect writes itself, before or around our handlers: read (and, for undecodable
 * requests, corrected) on their way out, for every protocol: gRPC trailers, the gRPC-Web trailer
 * frame, the Connect unary error body and the Connect end-of-stream message. errors.ts decides
 * the corrections; call-log.ts writes the log line of a call refused before our handler.
 */
import type { ConnectRouter } from "@connectrpc/connect";
import { Code, type ConnectError } from "@connectrpc/connect";
import type { UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { codeFromString, codeToString } from "@connectrpc/connect/protocol-connect";
import { logRefusedCall } from "./call-log.js";
import type { Logger } from "./logger.js";
import type { ServerMetrics } from "./metrics.js";

/** The answer that replaces connect's INTERNAL for an undecodable request (errors.ts); undefined: keep it. */
export type DecodeFix = (code: Code, rawMessage: string) => ConnectError | undefined;

/** Told the status a call ended with, as the wrapper reads it from connect's answer. */
type StatusObserver = (code: Code, message: string) => void;

/** Where a call refused before our handler is recorded: its log line, its count in the request metrics. */
export interface RefusedCallSinks {
  readonly logger?: Logger | undefined;
  readonly metrics?: Pick<ServerMetrics, "callRefused"> | undefined;
}

/**
 * Wraps every handler of `router` so that a request message connect cannot decode is answered
 * INVALID_ARGUMENT (`fixOf`: errors.ts asRequestDecodeError) over gRPC, gRPC-Web and Connect. connect decodes
 * unary requests before any interceptor or handler runs and offers no hook for the status it
 * gives, so the wrapper corrects the status it wrote: the gRPC trailers, the gRPC-Web trailer
 * frame, or the Connect unary error body. (Streaming requests reach the handler, whose errors go
 * through toConnectError.)
 *
 * A unary or server-streaming request connect refused for being over readMaxBytes
 * (RESOURCE_EXHAUSTED, before our handler, so call-context.ts never sees it) gets its `request` log
 * line here with `sinks.logger` (call-log.ts: logRefusedCall), and is counted once in the request
 * metrics with `sinks.metrics` (ServerMetrics.callRefused), so an error rate over
 * florence2_requests_total includes it. A client- or bidi-streaming message over the limit fails
 * inside our handler, which logs and counts it.
 */
export function watchConnectAnswers(router: ConnectRouter, fixOf: DecodeFix, sinks: RefusedCallSinks = {}): void {
  const { logger, metrics } = sinks;
  router.handlers.forEach((handler, i) => {
    const method = `${handler.service.typeName}/${handler.method.name}`;
    // The one request of a unary or server-streaming call is read before our handler runs.
    const kind = handler.method.methodKind;
    const watch = (logger !== undefined || metrics !== undefined) && (kind === "unary" || kind === "server_streaming");
    // One handler serves every protocol of its method; the response's content type says which.
    const wrapped = async (request: UniversalServerRequest): Promise<UniversalServerResponse> => {
      const start = performance.now();
      const response = await handler(request);
      const contentType = new Headers(response.header).get("content-type") ?? "";
      const protocol = contentType.startsWith("application/grpc-web")
        ? "grpc-web"
        : contentType.startsWith("application/grpc")
          ? "grpc"
          : "connect";
      const observe: StatusObserver | undefined = !watch
        ? undefined
        : (code, message) => {
            if (code !== Code.ResourceExhausted || readLimitMessage(message) === false) return;
            const { header, contextValues } = request;
            const durationMs = performance.now() - start;
            metrics?.callRefused(method, codeToString(code), durationMs / 1000);
            if (logger === undefined) return;
            logRefusedCall(logger, {
              method,
              protocol,
              requestHeader: header,
              contextValues,
              code,
              message,
              durationMs,
            });
          };
      if (protocol === "grpc-web") return fixGrpcWebTrailer(response, fixOf, observe);
      if (protocol === "grpc") return fixGrpcTrailer(response, fixOf, observe);
      if (observe !== undefined && contentType.startsWith("application/connect+")) {
        return observeConnectStreamEnd(response, observe);
      }
      const connectError = response.status === 500 || (observe !== undefined && response.status !== 200);
      if (connectError && contentType.startsWith("application/json")) return fixConnectUnary(response, fixOf, observe);
      return response;
    };
    router.handlers[i] = Object.assign(wrapped, handler);
  });
}

/** Whether `message` is connect's refusal of a message over readMaxBytes. */
function readLimitMessage(message: string): boolean {
  return message.includes("larger than configured readMaxBytes");
}

/** Tells `observe` a gRPC status read from trailers (the message percent-encoded). */
function observeStatus(observe: StatusObserver | undefined, status: string | null, message: string | null): void {
  if (observe === undefined || status === null || status === "0") return;
  let text = message ?? "";
  try {
    text = decodeURIComponent(text);
  } catch {
    // Not percent-encoded after all: the raw text is what the client got.
  }
  observe(Number(status) as Code, text);
}

function decodeFix(fixOf: DecodeFix, status: string | null, message: string | null): ConnectError | undefined {
  if (status !== String(Code.Internal) || message === null) return undefined;
  let text: string;
  try {
    text = decodeURIComponent(message);
  } catch {
    return undefined;
  }
  return fixOf(Code.Internal, text);
}

function fixGrpcTrailer(
  response: UniversalServerResponse,
  fixOf: DecodeFix,
  observe?: StatusObserver,
): UniversalServerResponse {
  const trailer = response.trailer;
  if (trailer === undefined || response.body === undefined) return response;
  const body = response.body;
  const fix = (): void => {
    observeStatus(observe, trailer.get("grpc-status"), trailer.get("grpc-message"));
    const fixed = decodeFix(fixOf, trailer.get("grpc-status"), trailer.get("grpc-message"));
    if (fixed === undefined) return;
    trailer.set("grpc-status", String(fixed.code));
    trailer.set("grpc-message", encodeURIComponent(fixed.rawMessage));
    trailer.delete("grpc-status-details-bin");
  };
  if (!(Symbol.asyncIterator in body)) {
    fix();
    return response;
  }
  return {
    ...response,
    body: (async function* () {
      yield* body;
      fix();
    })(),
  };
}

/** gRPC-Web sends its trailers as the body's last frame: flag 0x80, then "key: value\r\n" lines. */
function fixGrpcWebTrailer(
  response: UniversalServerResponse,
  fixOf: DecodeFix,
  observe?: StatusObserver,
): UniversalServerResponse {
  const body = response.body;
  if (body === undefined || !(Symbol.asyncIterator in body)) return response;
  return {
    ...response,
    body: (async function* () {
      for await (const chunk of body) yield rewriteTrailerFrame(chunk, fixOf, observe);
    })(),
  };
}

function rewriteTrailerFrame(chunk: Uint8Array, fixOf: DecodeFix, observe?: StatusObserver): Uint8Array {
  let offset = 0;
  while (offset + 5 <= chunk.length) {
    const flags = chunk[offset] as number;
    const length = new DataView(chunk.buffer, chunk.byteOffset + offset + 1, 4).getUint32(0);
    const end = offset + 5 + length;
    if (end > chunk.length) return chunk;
    if ((flags & 0x80) !== 0 && (flags & 0x01) === 0) {
      const lines = new TextDecoder().decode(chunk.subarray(offset + 5, end)).split("\r\n");
      const get = (key: string) =>
        lines
          .find((l) => l.toLowerCase().startsWith(`${key}:`))
          ?.slice(key.length + 1)
          .trim() ?? null;
      observeStatus(observe, get("grpc-status"), get("grpc-message"));
      const fixed = decodeFix(fixOf, get("grpc-status"), get("grpc-message"));
      if (fixed === undefined) return chunk;
      const kept = lines.filter((l) => l !== "" && !/^grpc-(status|message|status-details-bin):/i.test(l));
      const text = [...kept, `grpc-status: ${fixed.code}`, `grpc-message: ${encodeURIComponent(fixed.rawMessage)}`]
        .map((l) => `${l}\r\n`)
        .join("");
      const data = new TextEncoder().encode(text);
      const frame = new Uint8Array(5 + data.length);
      frame[0] = flags;
      new DataView(frame.buffer).setUint32(1, data.length);
      frame.set(data, 5);
      const out = new Uint8Array(offset + frame.length);
      out.set(chunk.subarray(0, offset));
      out.set(frame, offset);
      return out;
    }
    offset = end;
  }
  return chunk;
}

/** A Connect unary error is an HTTP status with a JSON body {"code": ..., "message": ...}. */
async function fixConnectUnary(
  response: UniversalServerResponse,
  fixOf: DecodeFix,
  observe?: StatusObserver,
): Promise<UniversalServerResponse> {
  const body = response.body;
  if (body === undefined || !(Symbol.asyncIterator in body)) return response;
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  const unchanged = { ...response, body: createAsyncIterable([new Uint8Array(bytes)]) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    return unchanged;
  }
  const message = typeof parsed === "object" && parsed !== null && "message" in parsed ? String(parsed.message) : "";
  const code = typeof parsed === "object" && parsed !== null && "code" in parsed ? parsed.code : undefined;
  const known = typeof code === "string" ? codeFromString(code) : undefined;
  if (observe !== undefined && known !== undefined) observe(known, message);
  const fixed = code === "internal" ? fixOf(Code.Internal, message) : undefined;
  if (fixed === undefined) return unchanged;
  const json = new TextEncoder().encode(JSON.stringify({ code: "invalid_argument", message: fixed.rawMessage }));
  const header = new Headers(response.header);
  header.set("content-length", String(json.byteLength));
  return { ...response, status: 400, header, body: createAsyncIterable([json]) };
}

/** A Connect stream ends with an envelope flagged 0x02 whose JSON may hold {"error": {code, message}}. */
function observeConnectStreamEnd(response: UniversalServerResponse, observe: StatusObserver): UniversalServerResponse {
  const body = response.body;
  if (body === undefined || !(Symbol.asyncIterator in body)) return response;
  return {
    ...response,
    body: (async function* () {
      for await (const chunk of body) {
        observeEndStream(chunk, observe);
        yield chunk;
      }
    })(),
  };
}

function observeEndStream(chunk: Uint8Array, observe: StatusObserver): void {
  let offset = 0;
  while (offset + 5 <= chunk.length) {
    const flags = chunk[offset] as number;
    const length = new DataView(chunk.buffer, chunk.byteOffset + offset + 1, 4).getUint32(0);
    const end = offset + 5 + length;
    if (end > chunk.length) return;
    if ((flags & 0x02) !== 0) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(chunk.subarray(offset + 5, end)));
      } catch {
        return;
      }
      const error = typeof parsed === "object" && parsed !== null && "error" in parsed ? parsed.error : undefined;
      if (typeof error !== "object" || error === null) return;
      const code = "code" in error && typeof error.code === "string" ? codeFromString(error.code) : undefined;
      const message = "message" in error && typeof error.message === "string" ? error.message : "";
      if (code !== undefined) observe(code, message);
      return;
    }
    offset = end;
  }
}
