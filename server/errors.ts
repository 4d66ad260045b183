/**
 * The ONLY place that maps engine errors (FlorenceError kinds) to gRPC status codes, so that
 * every protocol and every handler answers the same failure with the same code.
 * Clients get the FlorenceError's message, which is written for them (any filesystem path in it
 * replaced: hide-paths.ts; the log keeps the full message), plus google.rpc details:
 * ErrorInfo (reason = kind, domain "florence2"), BadRequest field violations, and RetryInfo for
 * overload. Library text and stacks stay in `cause`, which connect never sends; the call log
 * writes it for operators.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
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
import { type RefusedCallSinks, watchConnectAnswers } from "./connect-answers.js";
import { withoutPaths } from "./hide-paths.js";
import type { Logger } from "./logger.js";

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

/** Codes whose cause an operator should see in the log (defined with the log line). */
export { isServerFault } from "./call-log.js";

/** A call's signal and, when its request carried a deadline, the time left before it (connect's HandlerContext fits). */
export interface CallSignal {
  readonly signal: AbortSignal;
  readonly timeoutMs?: () => number | undefined;
}

/**
 * Converts anything a handler caught into the ConnectError sent to the client.
 *
 * `call` is the call's signal (or its HandlerContext): once it is aborted, why it was aborted
 * (callEndedBy) wins over what the engine reported, because the engine only sees "aborted" and
 * cannot tell a deadline from a cancellation.
 */
export function toConnectError(e: unknown, call?: AbortSignal | CallSignal): ConnectError {
  const ended = call === undefined ? undefined : callEndedBy(call instanceof AbortSignal ? { signal: call } : call);
  if (ended !== undefined) return ended;
  if (e instanceof ConnectError) return asRequestDecodeError(e.code, e.rawMessage) ?? e;
  const error = toFlorenceError(e);
  const code = CODE_BY_KIND[error.kind];
  const message = withoutPaths(error.message);
  // A message that lost a path keeps it for the log: the error itself is then the cause (its stack
  // starts with the full message; describeCause follows it to the error's own cause).
  const cause = !isFlorenceError(e) || message !== error.message ? e : e.cause;
  return new ConnectError(message, code, undefined, detailsOf(error), cause);
}

/** Abort reasons that already name the right status: the server's deadline timer, its shutdown, a client's CANCEL reset. */
const KEPT_ABORT_CODES: ReadonlySet<Code> = new Set([Code.DeadlineExceeded, Code.Unavailable, Code.Canceled]);

/**
 * A client that gives up first may be this close to its deadline by our clock and still have given
 * up because of it: its timer starts before the request is sent, ours when the request arrives.
 */
const DEADLINE_SLACK_MS = 100;

/**
 * The status of a call whose signal was aborted; undefined while it is not. connect aborts it with
 * DEADLINE_EXCEEDED (the request's own deadline, by the server's timer) or, on shutdown,
 * UNAVAILABLE: those stay. Anything else came from the client's side: an HTTP/2 stream reset, which
 * connect-node names by its reset code (INTERNAL for the reset a client sends when its own deadline
 * passes or it aborts), or a lost HTTP/1.1 connection (ABORTED, or no reason at all). The client went
 * away, so the call is CANCELED, not a server fault (INTERNAL would page an operator for it), or
 * DEADLINE_EXCEEDED when the request's deadline was (all but) due.
 */
function callEndedBy({ signal, timeoutMs }: CallSignal): ConnectError | undefined {
  if (!signal.aborted) return undefined;
  const reason: unknown = signal.reason;
  if (reason instanceof ConnectError && KEPT_ABORT_CODES.has(reason.code)) return reason;
  const text = reason instanceof ConnectError ? reason.rawMessage : reason instanceof Error ? reason.message : "";
  const detail = text === "" ? "" : `: ${text}`;
  const left = timeoutMs?.();
  if (left !== undefined && left <= DEADLINE_SLACK_MS) {
    return new ConnectError(
      `the request's deadline passed before the answer was ready, and the client ended the call${detail}`,
      Code.DeadlineExceeded,
      undefined,
      undefined,
      reason,
    );
  }
  return new ConnectError(
    `the client ended the call before the answer was ready (it cancelled, reset its stream or closed its connection)${detail}`,
    Code.Canceled,
    undefined,
    undefined,
    reason,
  );
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
 * INVALID_ARGUMENT (asRequestDecodeError) over gRPC, gRPC-Web and Connect; with `logger`, a
 * request connect refused over readMaxBytes before our handler gets its log line, and with
 * `metrics` its count in florence2_requests_total (model ""). The reading and rewriting of
 * connect's answers is in connect-answers.ts.
 */
export function answerDecodeErrorsAsInvalidArgument(
  router: ConnectRouter,
  logger?: Logger,
  metrics?: RefusedCallSinks["metrics"],
): void {
  watchConnectAnswers(router, asRequestDecodeError, { logger, metrics });
}
