/**
 * The google.rpc details the server attaches to its errors, read without importing generated code:
 * which fields were bad (BadRequest), why it failed as a machine-readable reason (ErrorInfo), and
 * how long to wait before retrying (RetryInfo). Each takes whatever a call threw.
 *
 * @example
 * try {
 *   await florence.captionImage(bytes);
 * } catch (e) {
 *   for (const v of badRequestOf(e)) console.error(`${v.field}: ${v.description}`);
 *   const wait = retryInfoOf(e)?.retryDelayMs;
 * }
 */
import { ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../gen/google/rpc/error_details_pb.js";

/** One bad input field: a dotted path such as "images[1].encoded" or "region", and what is wrong. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/** Why a call failed, as a stable reason: the server's error kind (e.g. "invalid_image") in domain "florence2". */
export interface ErrorReason {
  readonly reason: string;
  readonly domain: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** How long the server asks the caller to wait before retrying (queue full, model loading). */
export interface RetryAdvice {
  readonly retryDelayMs: number;
}

/** The field violations of a failed call; empty when it carries none (or is not a call error). */
export function badRequestOf(error: unknown): FieldViolation[] {
  return ConnectError.from(error)
    .findDetails(BadRequestSchema)
    .flatMap((d) => d.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
}

/** The failure's machine-readable reason; undefined when it carries none. */
export function errorInfoOf(error: unknown): ErrorReason | undefined {
  const info = ConnectError.from(error).findDetails(ErrorInfoSchema)[0];
  return info === undefined ? undefined : { reason: info.reason, domain: info.domain, metadata: { ...info.metadata } };
}

/** The server's retry advice; undefined when it gave none. */
export function retryInfoOf(error: unknown): RetryAdvice | undefined {
  const delay = ConnectError.from(error).findDetails(RetryInfoSchema)[0]?.retryDelay;
  if (delay === undefined) return undefined;
  return { retryDelayMs: Number(delay.seconds) * 1000 + Math.round(delay.nanos / 1e6) };
}
