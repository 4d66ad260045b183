/**
 * What ties a request's log line to the caller and to its trace: the request id (the caller's
 * `x-request-id` when it is sane, else a fresh UUID; returned in the response's `x-request-id`) and
 * the trace id of a W3C `traceparent` header. Both are pure functions of header text.
 */
import { randomUUID } from "node:crypto";

/** The header that carries the request id both ways. */
export const REQUEST_ID_HEADER = "x-request-id";

/**
 * A caller's id is kept when it is 1..128 characters of letters, digits and `-_.:/+=@` (UUIDs,
 * ULIDs, AWS and Envoy ids, base64): nothing that could break a log line or a header, and short
 * enough that a caller cannot make every log line huge.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9\-_.:/+=@]{1,128}$/;

/** The caller's request id when it is sane, else a new random one. */
export function requestIdFrom(given: string | null | undefined): string {
  return given !== null && given !== undefined && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** The parts of a valid W3C trace context header. */
export interface TraceParent {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero: the caller's span. */
  readonly parentSpanId: string;
  readonly sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parses a `traceparent` header (W3C Trace Context: `version-traceid-parentid-flags`, lowercase hex),
 * undefined when it is absent or invalid: version ff, an all-zero id, or a version 00 header with
 * anything after the flags. Later versions may append fields, which are ignored.
 */
export function parseTraceParent(header: string | null | undefined): TraceParent | undefined {
  const match = header === null || header === undefined ? null : TRACEPARENT.exec(header.trim());
  if (match === null) return undefined;
  const [, version, traceId, parentSpanId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentSpanId)) return undefined;
  return { traceId, parentSpanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}
