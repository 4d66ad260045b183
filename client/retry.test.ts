/**
 * The retry policy: the pure decision table, then the interceptor over an in-memory router
 * transport whose service fails a set number of times.
 */
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ModelService } from "../gen/florence/v1/model_service_pb.js";
import {
  asGrpcError,
  createRetryInterceptor,
  makeRetryOptions,
  PREVIOUS_ATTEMPTS_HEADER,
  PUSHBACK_TRAILER,
  type RetryEvent,
  retryDecision,
} from "./retry.js";

const options = makeRetryOptions({ maxAttempts: 4, initialBackoffMs: 100, maxBackoffMs: 300, backoffMultiplier: 2 });

function unavailable(pushback?: string): ConnectError {
  const metadata = new Headers(pushback === undefined ? {} : { [PUSHBACK_TRAILER]: pushback });
  return new ConnectError("replica gone", Code.Unavailable, metadata);
}

describe("retryDecision", () => {
  it.each([
    ["first failure: bound 100", unavailable(), 1, 0.5, { retry: true, delayMs: 50 }],
    ["second: bound 200", unavailable(), 2, 0.5, { retry: true, delayMs: 100 }],
    ["third: bound capped at 300", unavailable(), 3, 0.999, { retry: true, delayMs: 299 }],
    ["attempts used up", unavailable(), 4, 0.5, { retry: false }],
    ["a code that is not retried", new ConnectError("bad image", Code.InvalidArgument), 1, 0.5, { retry: false }],
    ["deadline exceeded is final", new ConnectError("late", Code.DeadlineExceeded), 1, 0.5, { retry: false }],
    ["pushback sets the delay", unavailable("750"), 1, 0.5, { retry: true, delayMs: 750 }],
    ["negative pushback: no retry", unavailable("-1"), 1, 0.5, { retry: false }],
    ["malformed pushback: no retry", unavailable("soon"), 1, 0.5, { retry: false }],
  ] as const)("%s", (_name, error, attempt, random, expected) => {
    expect(retryDecision(error, attempt, options, random)).toEqual(expected);
  });
});

describe("asGrpcError", () => {
  const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
  // Node's errors for a stream closed by HTTP/2 (ERR_HTTP2_STREAM_ERROR), as connect-node wraps them.
  const streamError = (h2Code: string) =>
    Object.assign(new Error(`Stream closed with error code ${h2Code}`), { code: "ERR_HTTP2_STREAM_ERROR" });
  const refused = streamError("NGHTTP2_REFUSED_STREAM");
  const flowControl = streamError("NGHTTP2_FLOW_CONTROL_ERROR");
  it.each([
    [
      "a reset under the call is UNAVAILABLE",
      new ConnectError("reset", Code.Aborted, undefined, undefined, reset),
      Code.Unavailable,
    ],
    [
      "a reset deeper in the cause chain",
      new ConnectError("reset", Code.Aborted, undefined, undefined, new Error("wrapped", { cause: reset })),
      Code.Unavailable,
    ],
    ["a server's ABORTED stays", new ConnectError("conflict", Code.Aborted), Code.Aborted],
    [
      "a CANCELED the caller did not ask for (a dying session cancels its streams) is UNAVAILABLE",
      new ConnectError("stream closed", Code.Canceled),
      Code.Unavailable,
    ],
    [
      "an HTTP/2 stream reset connect-node reports as INTERNAL (a proxy's upstream died) is UNAVAILABLE",
      new ConnectError("http/2 stream closed with error code INTERNAL_ERROR (0x2)", Code.Internal),
      Code.Unavailable,
    ],
    [
      "a stream HTTP/2 refused before the server processed it (a GOAWAY raced the request) is UNAVAILABLE",
      new ConnectError("refused", Code.Internal, undefined, undefined, refused),
      Code.Unavailable,
    ],
    [
      "another HTTP/2 stream error stays INTERNAL",
      new ConnectError("stream error", Code.Internal, undefined, undefined, flowControl),
      Code.Internal,
    ],
    [
      "a proxy's HTTP 413 (body over its limit) is RESOURCE_EXHAUSTED",
      new ConnectError("HTTP 413", Code.Unknown),
      Code.ResourceExhausted,
    ],
    ["another UNKNOWN stays", new ConnectError("HTTP 418", Code.Unknown), Code.Unknown],
    ["an INTERNAL a server sent stays INTERNAL", new ConnectError("decoder failed", Code.Internal), Code.Internal],
    [
      "other codes stay",
      new ConnectError("bad", Code.InvalidArgument, undefined, undefined, reset),
      Code.InvalidArgument,
    ],
  ])("%s", (_name, error, code) => {
    expect(asGrpcError(error).code).toBe(code);
  });

  it("says which limit to raise for a proxy's HTTP 413", () => {
    expect(asGrpcError(new ConnectError("HTTP 413", Code.Unknown)).rawMessage).toMatch(
      /larger than a proxy in front of the server accepts \(HTTP 413\): raise the proxy's body limit \(nginx: client_max_body_size\)/,
    );
  });

  it("a CANCELED the caller asked for stays CANCELED (never retried)", () => {
    expect(asGrpcError(new ConnectError("cancelled", Code.Canceled), true).code).toBe(Code.Canceled);
  });
});

describe("makeRetryOptions", () => {
  it("fills the documented defaults", () => {
    expect(makeRetryOptions({ maxAttempts: undefined })).toMatchObject({
      maxAttempts: 5,
      initialBackoffMs: 100,
      maxBackoffMs: 2000,
      backoffMultiplier: 2,
      retryableCodes: [Code.Unavailable],
    });
  });
  it.each([
    ["zero attempts", { maxAttempts: 0 }],
    ["fractional attempts", { maxAttempts: 1.5 }],
    ["a negative backoff", { initialBackoffMs: -1 }],
    ["a shrinking multiplier", { backoffMultiplier: 0.5 }],
  ])("refuses %s", (_name, init) => {
    expect(() => makeRetryOptions(init)).toThrow(RangeError);
  });
});

/** A ModelService whose listModels fails with `code` the first `failures` times. */
function flakyClient(failures: number, code: Code, init: Parameters<typeof createRetryInterceptor>[0] = {}) {
  const seen = { calls: 0, previousAttempts: [] as (string | null)[] };
  const transport = createRouterTransport(
    ({ service }) => {
      service(ModelService, {
        listModels(_req, ctx) {
          seen.calls++;
          seen.previousAttempts.push(ctx.requestHeader.get(PREVIOUS_ATTEMPTS_HEADER));
          if (seen.calls <= failures) throw new ConnectError("draining", code);
          return { models: [] };
        },
      });
    },
    { transport: { interceptors: [createRetryInterceptor({ initialBackoffMs: 1, maxBackoffMs: 2, ...init })] } },
  );
  return { client: createClient(ModelService, transport), seen };
}

describe("createRetryInterceptor", () => {
  it.each([
    ["succeeds at once", 0, Code.Unavailable, 1, true],
    ["retries UNAVAILABLE until it succeeds", 4, Code.Unavailable, 5, true],
    ["gives up after maxAttempts", 5, Code.Unavailable, 5, false],
    ["does not retry INVALID_ARGUMENT", 1, Code.InvalidArgument, 1, false],
    ["does not retry RESOURCE_EXHAUSTED by default", 1, Code.ResourceExhausted, 1, false],
  ])("%s", async (_name, failures, code, calls, ok) => {
    const { client, seen } = flakyClient(failures, code);
    const outcome = await client.listModels({}).then(
      () => "ok",
      (e: unknown) => ConnectError.from(e).code,
    );
    expect(outcome).toBe(ok ? "ok" : code);
    expect(seen.calls).toBe(calls);
  });

  it("numbers the retries in grpc-previous-rpc-attempts and reports each", async () => {
    const events: RetryEvent[] = [];
    const { client, seen } = flakyClient(2, Code.Unavailable, { onRetry: (e) => events.push(e) });
    await client.listModels({});
    expect(seen.previousAttempts).toEqual([null, "1", "2"]);
    expect(events.map((e) => [e.attempt, e.error.code])).toEqual([
      [1, Code.Unavailable],
      [2, Code.Unavailable],
    ]);
  });

  it("retries the codes it is given", async () => {
    const { client, seen } = flakyClient(1, Code.ResourceExhausted, {
      retryableCodes: [Code.Unavailable, Code.ResourceExhausted],
    });
    await client.listModels({});
    expect(seen.calls).toBe(2);
  });

  it("stops waiting when the call's deadline passes", async () => {
    const { client, seen } = flakyClient(10, Code.Unavailable, {
      initialBackoffMs: 10_000,
      maxBackoffMs: 10_000,
      random: () => 0.99,
    });
    const started = performance.now();
    const code = await client.listModels({}, { timeoutMs: 100 }).then(
      () => "ok",
      (e: unknown) => ConnectError.from(e).code,
    );
    expect(code).toBe(Code.DeadlineExceeded);
    expect(seen.calls).toBe(1);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
