/**
 * The ONLY place that maps engine errors (FlorenceError kinds) to gRPC status codes (style L4).
 * Clients get the FlorenceError's message, which is written for them, plus google.rpc details:
 * ErrorInfo (reason = kind, domain "florence2"), BadRequest field violations, and RetryInfo for
 * overload. Library text and stacks stay in `cause`, which connect never sends; the call log
 * writes it for operators.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { FrameError } from "../gen/florence/v1/frames_pb.js";
import { FrameErrorSchema } from "../gen/florence/v1/frames_pb.js";
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
  if (e instanceof ConnectError) return e;
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
