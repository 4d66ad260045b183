/** Client options shared by the Node and browser entry points, with their defaults in one place. */
import type { CallOptions, Interceptor, Transport } from "@connectrpc/connect";
import type { FlorenceCallOptions } from "./inputs.js";
import { createRetryInterceptor, type RetryOptionsInit } from "./retry.js";

/** Wire protocols the server speaks; browsers cannot speak plain gRPC. */
export type Protocol = "grpc" | "grpc-web" | "connect";

export interface FlorenceClientOptions<P extends Protocol = Protocol> {
  /** Server address, e.g. "http://127.0.0.1:50051". Required unless `transport` is given. */
  readonly baseUrl: string;
  /** Wire protocol. Default "grpc" in Node, "grpc-web" in browsers. Ignored with `transport`. */
  readonly protocol: P;
  /** Headers sent with every call; per-call headers override them. Default none. */
  readonly headers: HeadersInit | undefined;
  /**
   * Bearer token sent as `authorization: Bearer <token>` with every call (a per-call
   * `authorization` header overrides it). Default none.
   */
  readonly token: string | undefined;
  /**
   * Deadline of every unary call in milliseconds; a call's own timeoutMs overrides it. Default
   * 300 000 (5 minutes): long enough for a batch of beam-search calls on a CPU server, short
   * enough that a lost server does not hang the caller forever. streamFrames never gets this
   * default, because a video stream legitimately runs for hours; pass timeoutMs to it explicitly.
   */
  readonly timeoutMs: number;
  /**
   * A ready connect Transport; replaces baseUrl/protocol. For tests (createRouterTransport) and
   * for callers that need interceptors, TLS options or a shared HTTP/2 session. Default none.
   */
  readonly transport: Transport | undefined;
  /**
   * Retries of unary calls answered UNAVAILABLE (the server is loading, draining, or went away
   * before it took the call: safe to repeat), after gRPC's retry policy: up to `maxAttempts` with
   * exponential backoff and jitter, within the call's deadline (client/retry.ts: retryDefaults).
   * Streams are never retried. `false` turns retries off; errors still carry gRPC's codes either
   * way (a connection lost or a stream refused under a unary call is UNAVAILABLE: see asGrpcError).
   * Ignored with `transport` (add createRetryInterceptor to your own transport). Default:
   * retryDefaults (5 attempts).
   */
  readonly retry: RetryOptionsInit | false;
  /**
   * The model every call runs on unless the call names its own (`model` in a call's options or a
   * stream's config): a name the server's ListModels gives. Default none: the server's default model.
   */
  readonly model: string | undefined;
}

export const clientDefaults = {
  headers: undefined,
  token: undefined,
  timeoutMs: 300_000,
  transport: undefined,
  retry: {},
  model: undefined,
} as const satisfies Partial<FlorenceClientOptions>;

/** The interceptors of a transport the client builds itself: the retry policy (one attempt when turned off). */
export function clientInterceptors(retry: RetryOptionsInit | false | undefined): Interceptor[] {
  const policy = retry ?? clientDefaults.retry;
  return [createRetryInterceptor(policy === false ? { maxAttempts: 1 } : policy)];
}

/** What createFlorenceClient accepts: either a baseUrl or a transport, the rest optional. */
export type FlorenceClientInit<P extends Protocol = Protocol> = Partial<FlorenceClientOptions<P>> &
  ({ readonly baseUrl: string } | { readonly transport: Transport });

/** Merges the client's defaults into one call's options; `useDefaultTimeout` is false for streams. */
export function toCallOptions(
  call: FlorenceCallOptions,
  client: Pick<FlorenceClientOptions, "headers" | "timeoutMs"> & { readonly token?: string | undefined },
  useDefaultTimeout = true,
): CallOptions {
  const headers = new Headers(client.headers);
  if (client.token !== undefined) headers.set("authorization", `Bearer ${client.token}`);
  new Headers(call.headers).forEach((value, name) => {
    headers.set(name, value);
  });
  const timeoutMs = call.timeoutMs ?? (useDefaultTimeout ? client.timeoutMs : undefined);
  const out: CallOptions = { headers };
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
  if (call.signal !== undefined) out.signal = call.signal;
  if (call.onHeader !== undefined) out.onHeader = call.onHeader;
  if (call.onTrailer !== undefined) out.onTrailer = call.onTrailer;
  return out;
}
