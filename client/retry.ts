/**
 * Retries of unary calls that failed with a retryable code (UNAVAILABLE by default), shaped after
 * gRPC's retry policy: at most `maxAttempts` attempts, exponential backoff with full jitter, the
 * server's `grpc-retry-pushback-ms` honoured, `grpc-previous-rpc-attempts` sent, and never past the
 * call's deadline or abort signal.
 *
 * Every Florence-2 RPC is side-effect free (inference on the request's images), so replaying a
 * unary call is safe; streams are never retried (their messages are consumed as they are sent).
 * UNAVAILABLE is what a replica answers while draining, and what a proxy answers when a replica
 * vanished mid-call, so a retry lands on another replica.
 *
 * @example
 * const transport = createGrpcTransport({ baseUrl, interceptors: [createRetryInterceptor({ maxAttempts: 4 })] });
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

export interface RetryOptions {
  /** Attempts in all, the first included; 1 turns retries off. Default 5 (gRPC's cap). */
  readonly maxAttempts: number;
  /** Upper bound of the first backoff in ms; each retry waits a random time up to the bound. Default 100. */
  readonly initialBackoffMs: number;
  /** The bound never grows past this, in ms. Default 2000. */
  readonly maxBackoffMs: number;
  /** The bound is multiplied by this after each retry. Default 2. */
  readonly backoffMultiplier: number;
  /** Codes that are retried. Default [Code.Unavailable]. */
  readonly retryableCodes: readonly Code[];
  /** Called before each retry's wait (for logs and metrics). Default none. */
  readonly onRetry: ((event: RetryEvent) => void) | undefined;
  /** Uniform random number in [0, 1); tests pass a fixed one. Default Math.random. */
  readonly random: () => number;
}

export interface RetryEvent {
  /** The attempt that failed, 1-based. */
  readonly attempt: number;
  readonly error: ConnectError;
  /** How long the client waits before the next attempt. */
  readonly delayMs: number;
}

export const retryDefaults: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 5,
  initialBackoffMs: 100,
  maxBackoffMs: 2000,
  backoffMultiplier: 2,
  retryableCodes: Object.freeze([Code.Unavailable]),
  onRetry: undefined,
  random: Math.random,
});

/** Fields left out, or set to undefined, take their defaults. */
export type RetryOptionsInit = { readonly [K in keyof RetryOptions]?: RetryOptions[K] | undefined };

export function makeRetryOptions(init: RetryOptionsInit = {}): Readonly<RetryOptions> {
  const defined = Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined)) as Partial<RetryOptions>;
  const options = { ...retryDefaults, ...defined };
  if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1)
    throw new RangeError(`retry: maxAttempts ${options.maxAttempts} must be an integer >= 1`);
  if (!(options.initialBackoffMs >= 0 && options.maxBackoffMs >= 0 && options.backoffMultiplier >= 1)) {
    throw new RangeError("retry: backoffs must be >= 0 and backoffMultiplier >= 1");
  }
  return options;
}

/** Header carrying the number of earlier attempts on a retry (gRPC's name). */
export const PREVIOUS_ATTEMPTS_HEADER = "grpc-previous-rpc-attempts";
/** Trailer by which a server asks for a delay in ms before the retry, or (negative) for none. */
export const PUSHBACK_TRAILER = "grpc-retry-pushback-ms";

/**
 * What to do after failed attempt `attempt` (1-based): wait `delayMs` then retry, or give up.
 * Pure: the caller supplies the random number. Backoff bound for retry n is
 * min(initial * multiplier^(n-1), max); the wait is uniform below it ("full jitter"), unless the
 * server's pushback says otherwise.
 */
export function retryDecision(
  error: ConnectError,
  attempt: number,
  options: Readonly<RetryOptions>,
  random: number,
): { readonly retry: true; readonly delayMs: number } | { readonly retry: false } {
  if (attempt >= options.maxAttempts || !options.retryableCodes.includes(error.code)) return { retry: false };
  const pushback = error.metadata.get(PUSHBACK_TRAILER);
  if (pushback !== null) {
    // A valid non-negative integer is the delay; anything else means "do not retry".
    return /^\d+$/.test(pushback.trim()) ? { retry: true, delayMs: Number(pushback) } : { retry: false };
  }
  const bound = Math.min(options.initialBackoffMs * options.backoffMultiplier ** (attempt - 1), options.maxBackoffMs);
  return { retry: true, delayMs: Math.floor(random * bound) };
}

/** Node error codes of a connection that died under a call (the peer crashed or was killed). */
const CONNECTION_LOST = new Set([
  "ECONNRESET",
  "EPIPE",
  "ERR_STREAM_DESTROYED",
  "ERR_HTTP2_INVALID_STREAM",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_STREAM_ERROR",
]);

/** connect-node's message for an HTTP/2 RST_STREAM it maps to INTERNAL (not a grpc-status). */
const H2_RESET =
  /^http\/2 stream closed with error code (INTERNAL_ERROR|PROTOCOL_ERROR|CONNECT_ERROR) \(0x[0-9a-f]+\)$/;

/** The errors under `error` (its cause, the cause's cause, ...), at most 8 deep. */
function* causesOf(error: Error): Generator<Error & { readonly code?: unknown }> {
  for (let cause: unknown = error.cause, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    yield cause;
  }
}

/**
 * Node's error for a stream HTTP/2 closed with REFUSED_STREAM: RFC 9113 §8.7 guarantees the server
 * processed none of it. nghttp2 closes a request this way itself when the server's GOAWAY arrives
 * before the request was sent (a replica starting its drain), and connect-node reports it as
 * INTERNAL because Node emits the stream's error before its reset code.
 */
function refusedStream(error: ConnectError): boolean {
  for (const cause of causesOf(error)) {
    if (cause.code === "ERR_HTTP2_STREAM_ERROR" && cause.message.includes("NGHTTP2_REFUSED_STREAM")) return true;
  }
  return false;
}

/** A connection died under the call (ECONNRESET and the like somewhere in the cause chain). */
function connectionLost(error: ConnectError): boolean {
  for (const cause of causesOf(error)) {
    if (typeof cause.code === "string" && CONNECTION_LOST.has(cause.code)) return true;
  }
  return false;
}

/** `error` reported with another code and message; the original stays as the cause. */
function remapped(error: ConnectError, code: Code, message: string): ConnectError {
  return new ConnectError(message, code, error.metadata, undefined, error);
}

/**
 * The error as gRPC defines it: connect-node reports a connection reset under a call as ABORTED
 * (its server-side meaning: the client hung up), or as CANCELED when the dying HTTP/2 session
 * cancels its streams, where gRPC clients report UNAVAILABLE, the code that is safe to retry.
 * CANCELED is the caller's own only when `callerCancelled` says its signal aborted; an ABORTED
 * sent by a server has no connection-loss cause and stays ABORTED. A proxy (nginx) whose upstream
 * dies mid-answer resets the client's stream with INTERNAL_ERROR, which connect-node reports as
 * INTERNAL with its own message: no server sent that status, the connection was lost; our calls are
 * idempotent inference, so it counts as UNAVAILABLE too. A stream refused before the server
 * processed it (see refusedStream) is UNAVAILABLE, as gRPC maps REFUSED_STREAM. A proxy's HTTP
 * 413 is RESOURCE_EXHAUSTED, saying which limit to raise. An INTERNAL a server sent stays INTERNAL.
 */
export function asGrpcError(e: unknown, callerCancelled = false): ConnectError {
  const error = ConnectError.from(e);
  if (error.code === Code.Unknown && error.rawMessage === "HTTP 413") {
    // No Florence-2 server answers 413 (it sends RESOURCE_EXHAUSTED over readMaxBytes with a
    // gRPC status): a proxy in front refused the body, and gRPC's HTTP mapping says UNKNOWN.
    return remapped(
      error,
      Code.ResourceExhausted,
      "the request is larger than a proxy in front of the server accepts (HTTP 413): raise the proxy's body limit (nginx: client_max_body_size), or send smaller images",
    );
  }
  if (error.code === Code.Internal && refusedStream(error)) {
    return remapped(
      error,
      Code.Unavailable,
      `refused before the server processed it (HTTP/2 REFUSED_STREAM): ${error.rawMessage}`,
    );
  }
  const streamReset = error.code === Code.Internal && H2_RESET.test(error.rawMessage);
  const lost = (error.code === Code.Canceled && !callerCancelled) || streamReset;
  if (lost || (error.code === Code.Aborted && connectionLost(error))) {
    return remapped(error, Code.Unavailable, `connection lost: ${error.rawMessage}`);
  }
  return error;
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `attempt(n)` (n = 1, 2, ...) until it succeeds, fails with a code that is not retried, or
 * runs out of attempts; waits between attempts as retryDecision says. `signal` (the call's
 * deadline and abort) ends the waiting. Shared by the interceptor and the balanced transport.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  options: Readonly<RetryOptions>,
  signal: AbortSignal,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      const error = asGrpcError(e, signal.aborted);
      const decision = retryDecision(error, n, options, options.random());
      if (!decision.retry || signal.aborted) throw error;
      options.onRetry?.({ attempt: n, error, delayMs: decision.delayMs });
      await sleep(decision.delayMs, signal);
    }
  }
}

/**
 * A connect interceptor that retries unary calls and reports their final error with gRPC's code
 * (asGrpcError), also with maxAttempts 1; streaming calls pass through untouched.
 */
export function createRetryInterceptor(init: RetryOptionsInit = {}): Interceptor {
  const options = makeRetryOptions(init);
  return (next) => async (req) => {
    if (req.stream) return next(req);
    return withRetries(
      (n) => {
        if (n > 1) req.header.set(PREVIOUS_ATTEMPTS_HEADER, String(n - 1));
        return next(req);
      },
      options,
      req.signal,
    );
  };
}
