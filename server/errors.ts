/**
 * The ONLY place that maps engine errors (FlorenceError kinds) to gRPC status codes, so that
 * every protocol and every handler answers the same failure with the same code.
 * Clients get the FlorenceError's message, which is written for them, plus google.rpc details:
 * ErrorInfo (reason = kind, domain "florence2"), BadRequest field violations, and RetryInfo for
 * overload. Library text and stacks stay in `cause`, which connect never sends; the call log
 * writes it for operators.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import type { FrameError } from "../gen/florence/v1/frames_pb.js";
import { FrameErrorSchema } from "../gen/florence/v1/frames_pb.js";
import { type ImageError, ImageErrorSchema } from "../gen/florence/v1/results_pb.js";
import {
  BadRequest_FieldViolationSchema,
  BadRequestSchema,
  ErrorInfoSchema,
  RetryInfoSchema,
} from "../gen/google/rpc/error_details_pb.js";
import type { FlorenceError, FlorenceErrorKind } from "../models/errors.js";
import { isFlorenceError, toFlorenceError } from "../models/errors.js";

/** google.rpc.ErrorInfo.domain of every error this service raises. */
export const ERROR_DOMAIN = "florence2";

/** How long clients are told to wait after RESOURCE_EXHAUSTED / UNAVAILABLE. */
const RETRY_DELAY_MS = 1000;

/**
 * Exhaustive by construction: adding a kind to models/errors.ts fails to compile until it is
 * mapped here.
 *
 * model_load, download and provider_unavailable are FAILED_PRECONDITION, not INTERNAL or
 * UNAVAILABLE: the server is up but its model could not be set up (a missing file, a bad
 * checksum, no CUDA). Retrying the request cannot help until an operator fixes the deployment,
 * which is exactly FAILED_PRECONDITION's "do not retry until the system state is fixed";
 * UNAVAILABLE would invite pointless retries and INTERNAL claims a bug.
 */
export const CODE_BY_KIND: Readonly<Record<FlorenceErrorKind, Code>> = {
  invalid_image: Code.InvalidArgument,
  invalid_region: Code.InvalidArgument,
  missing_text: Code.InvalidArgument,
  invalid_argument: Code.InvalidArgument,
  model_load: Code.FailedPrecondition,
  download: Code.FailedPrecondition,
  provider_unavailable: Code.FailedPrecondition,
  unauthenticated: Code.Unauthenticated,
  queue_full: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  cancelled: Code.Canceled,
  deadline_exceeded: Code.DeadlineExceeded,
  internal: Code.Internal,
};

/** Kinds whose cause an operator should see in the log. */
export function isServerFault(code: Code): boolean {
  return code === Code.Internal || code === Code.FailedPrecondition || code === Code.Unknown;
}

/**
 * Converts anything a handler caught into the ConnectError sent to the client.
 *
 * `signal` is the call's signal: once it is aborted, its reason (connect's DEADLINE_EXCEEDED or
 * CANCELED ConnectError) wins over what the engine reported, because the engine only sees "aborted"
 * and cannot tell a deadline from a cancellation.
 */
export function toConnectError(e: unknown, signal?: AbortSignal): ConnectError {
  if (signal?.aborted && signal.reason instanceof ConnectError) return signal.reason;
  if (e instanceof ConnectError) return asRequestDecodeError(e.code, e.rawMessage) ?? e;
  const error = toFlorenceError(e);
  const code = CODE_BY_KIND[error.kind];
  return new ConnectError(error.message, code, undefined, detailsOf(error), isFlorenceError(e) ? e.cause : e);
}

/** The per-frame error of StreamFrames, shaped like google.rpc.Status. */
export function toFrameError(e: unknown, signal?: AbortSignal): FrameError {
  const connectError = toConnectError(e, signal);
  const error = isFlorenceError(e) ? e : undefined;
  return create(FrameErrorSchema, {
    code: connectError.code,
    message: connectError.rawMessage,
    reason: error?.kind ?? connectErrorReason(connectError.code),
    fieldViolations: (error?.violations ?? []).map((v) => ({ field: v.field, description: v.description })),
  });
}

/**
 * One image's failure in a call of several images (ImageError in results.proto): the same fields
 * as a stream's per-frame error.
 */
export function toImageError(e: FlorenceError): ImageError {
  const { code, message, reason, fieldViolations } = toFrameError(e);
  return create(ImageErrorSchema, { code, message, reason, fieldViolations });
}

function connectErrorReason(code: Code): FlorenceErrorKind {
  if (code === Code.DeadlineExceeded) return "deadline_exceeded";
  if (code === Code.Canceled) return "cancelled";
  if (code === Code.Unavailable) return "unavailable";
  if (code === Code.ResourceExhausted) return "queue_full";
  if (code === Code.InvalidArgument) return "invalid_argument";
  return "internal";
}

function detailsOf(error: FlorenceError): ConstructorParameters<typeof ConnectError>[3] {
  const details: NonNullable<ConstructorParameters<typeof ConnectError>[3]> = [
    { desc: ErrorInfoSchema, value: { reason: error.kind, domain: ERROR_DOMAIN } },
  ];
  if (error.violations.length > 0) {
    details.push({
      desc: BadRequestSchema,
      value: {
        fieldViolations: error.violations.map((v) =>
          create(BadRequest_FieldViolationSchema, { field: v.field, description: v.description }),
        ),
      },
    });
  }
  const code = CODE_BY_KIND[error.kind];
  if (code === Code.ResourceExhausted || code === Code.Unavailable) {
    details.push({ desc: RetryInfoSchema, value: { retryDelay: durationFromMs(RETRY_DELAY_MS) } });
  }
  return details;
}

/**
 * connect-es reports two kinds of undecodable request bytes as INTERNAL, which blames the server for
 * the client's bytes: a message that is not valid protobuf ("parse binary: ..."), and an envelope
 * whose compressed flag is set although the request named no compression. Both are the client's
 * fault, and the answer is INVALID_ARGUMENT saying what to fix (JSON decode failures and broken
 * envelope lengths already are INVALID_ARGUMENT). Returns undefined for every other error.
 */
function asRequestDecodeError(code: Code, rawMessage: string): ConnectError | undefined {
  if (code !== Code.Internal) return undefined;
  let message: string | undefined;
  if (rawMessage.startsWith(BINARY_DECODE_PREFIX)) {
    const detail = rawMessage.slice(BINARY_DECODE_PREFIX.length).trim();
    message = `the request message is not valid protobuf for this method (${detail}); send the method's request message, encoded as the content-type says`;
  } else if (rawMessage === UNDECLARED_COMPRESSION) {
    message =
      "a request envelope has its compressed flag set, but the request names no compression (grpc-encoding / connect-content-encoding); clear the flag or name the encoding";
  }
  if (message === undefined) return undefined;
  return new ConnectError(message, Code.InvalidArgument, undefined, [
    { desc: ErrorInfoSchema, value: { reason: "invalid_argument", domain: ERROR_DOMAIN } },
  ]);
}

const BINARY_DECODE_PREFIX = "parse binary:";
const UNDECLARED_COMPRESSION = "received compressed envelope, but do not know how to decompress";

/**
 * Wraps every handler of `router` so that a request message connect cannot decode is answered
 * INVALID_ARGUMENT (see asRequestDecodeError) over gRPC, gRPC-Web and Connect. connect decodes
 * unary requests before any interceptor or handler runs and offers no hook for the status it
 * gives, so the wrapper corrects the status it wrote: the gRPC trailers, the gRPC-Web trailer
 * frame, or the Connect unary error body. (Streaming requests reach the handler, whose errors go
 * through toConnectError.)
 */
export function answerDecodeErrorsAsInvalidArgument(router: ConnectRouter): void {
  router.handlers.forEach((handler, i) => {
    // One handler serves every protocol of its method; the response's content type says which.
    const wrapped = async (request: UniversalServerRequest): Promise<UniversalServerResponse> => {
      const response = await handler(request);
      const contentType = new Headers(response.header).get("content-type") ?? "";
      if (contentType.startsWith("application/grpc-web")) return fixGrpcWebTrailer(response);
      if (contentType.startsWith("application/grpc")) return fixGrpcTrailer(response);
      if (response.status === 500 && contentType.startsWith("application/json")) return fixConnectUnary(response);
      return response;
    };
    router.handlers[i] = Object.assign(wrapped, handler);
  });
}

function decodeFix(status: string | null, message: string | null): ConnectError | undefined {
  if (status !== String(Code.Internal) || message === null) return undefined;
  let text: string;
  try {
    text = decodeURIComponent(message);
  } catch {
    return undefined;
  }
  return asRequestDecodeError(Code.Internal, text);
}

function fixGrpcTrailer(response: UniversalServerResponse): UniversalServerResponse {
  const trailer = response.trailer;
  if (trailer === undefined || response.body === undefined) return response;
  const body = response.body;
  const fix = (): void => {
    const fixed = decodeFix(trailer.get("grpc-status"), trailer.get("grpc-message"));
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
function fixGrpcWebTrailer(response: UniversalServerResponse): UniversalServerResponse {
  const body = response.body;
  if (body === undefined || !(Symbol.asyncIterator in body)) return response;
  return {
    ...response,
    body: (async function* () {
      for await (const chunk of body) yield rewriteTrailerFrame(chunk);
    })(),
  };
}

function rewriteTrailerFrame(chunk: Uint8Array): Uint8Array {
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
      const fixed = decodeFix(get("grpc-status"), get("grpc-message"));
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
async function fixConnectUnary(response: UniversalServerResponse): Promise<UniversalServerResponse> {
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
  const fixed = code === "internal" ? asRequestDecodeError(Code.Internal, message) : undefined;
  if (fixed === undefined) return unchanged;
  const json = new TextEncoder().encode(JSON.stringify({ code: "invalid_argument", message: fixed.rawMessage }));
  const header = new Headers(response.header);
  header.set("content-length", String(json.byteLength));
  return { ...response, status: 400, header, body: createAsyncIterable([json]) };
}
