/**
 * A client that gives up before the answer (its deadline passes, or it cancels) resets its
 * stream; the server's call log and request metrics then say `cancelled` or `deadline_exceeded`,
 * never `internal`, which an error-rate alert would blame on the server (server/errors.ts:
 * toConnectError). Real server on the tiny fixture; each call asks for far more tokens than the
 * client waits for.
 */
import { readFile } from "node:fs/promises";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import { createFlorence, type Florence } from "../../models/index.js";
import type { LogEntry, RequestLogEntry } from "../../server/logger.js";
import { createFlorenceServer, type FlorenceServer } from "../../server/index.js";
import type { TransportName } from "./harness.js";

const MODEL = new URL("../fixtures/tiny", import.meta.url).pathname;
const COFFEE = new URL("../fixtures/images/coffee.jpg", import.meta.url);
/** As long as the tiny decoder allows: the call outlives the client's deadline by far. */
const LONG = { numBeams: 1, maxNewTokens: 1024, minNewTokens: 1024 };
/** The client's deadline: shorter than the call, long enough for the request to reach the handler. */
const CLIENT_TIMEOUT_MS = 150;

let florence: Florence;
let server: FlorenceServer;
let url: string;
let coffee: Uint8Array;
const logs: LogEntry[] = [];

beforeAll(async () => {
  florence = await createFlorence({ model: MODEL });
  server = createFlorenceServer({ engine: florence, port: 0, logger: (e) => logs.push(e) });
  url = (await server.listen()).url;
  coffee = await readFile(COFFEE);
});

afterAll(async () => {
  await server?.close({ graceMs: 1000 });
});

function lineOf(requestId: string): RequestLogEntry | undefined {
  return logs.find((l): l is RequestLogEntry => l.msg === "request" && "requestId" in l && l.requestId === requestId);
}

/** florence2_requests_total{method="...CaptionImage"} by code, from GET /metrics. */
async function captionCounts(): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const m of text.matchAll(
    /^florence2_requests_total\{method="florence\.v1\.FlorenceService\/CaptionImage",code="([a-z_]+)"[^}]*\} (\d+)/gm,
  )) {
    counts.set(m[1] as string, Number(m[2]));
  }
  return counts;
}

const ENDED_BY_CLIENT = ["canceled", "deadline_exceeded"];

/**
 * Keeps the client's deadline to itself: without the timeout header the server has no timer that
 * could end the call first, so only the client's stream reset reaches it (for HTTP/2, a reset
 * connect-node reports as INTERNAL, which is what the server used to log).
 */
const withoutTimeoutHeader: Interceptor = (next) => (req) => {
  req.header.delete("grpc-timeout");
  req.header.delete("connect-timeout-ms");
  return next(req);
};
const CASES: readonly TransportName[] = ["grpc", "connect h2", "grpc-web h1", "connect h1"];

/** A transport of `name` (test/server/harness.ts names them) with `interceptors`. */
function transportOf(name: TransportName, interceptors: Interceptor[]) {
  const common = { baseUrl: url, interceptors };
  const httpVersion = name.endsWith("h1") ? "1.1" : "2";
  if (name === "grpc") return createGrpcTransport(common);
  if (name.startsWith("grpc-web")) return createGrpcWebTransport({ ...common, httpVersion });
  return createConnectTransport({ ...common, httpVersion });
}

/**
 * Makes one CaptionImage call that the client ends: its deadline (sent to the server or kept to
 * itself) or its abort. Returns the client's error code, the log line and the codes whose count grew.
 */
async function endedByClient(
  transport: TransportName,
  requestId: string,
  how: "deadline" | "private deadline" | "abort",
) {
  const before = await captionCounts();
  const controller = new AbortController();
  const timer = how === "abort" ? setTimeout(() => controller.abort(), CLIENT_TIMEOUT_MS) : undefined;
  const interceptors = how === "private deadline" ? [withoutTimeoutHeader] : [];
  const e = await createClient(FlorenceService, transportOf(transport, interceptors))
    .captionImage(
      { images: [{ source: { case: "encoded", value: coffee } }], options: LONG },
      {
        headers: { "x-request-id": requestId },
        ...(how === "abort" ? { signal: controller.signal } : { timeoutMs: CLIENT_TIMEOUT_MS }),
      },
    )
    .then(
      () => undefined,
      (error: unknown) => ConnectError.from(error),
    )
    .finally(() => clearTimeout(timer));
  await expect.poll(() => lineOf(requestId), { timeout: 30_000 }).toBeDefined();
  const after = await captionCounts();
  const grown = [...after].filter(([code, n]) => n > (before.get(code) ?? 0)).map(([code]) => code);
  return { clientCode: e?.code, logged: lineOf(requestId), grown };
}

describe.each(CASES)("over %s", (transport) => {
  const name = transport.replace(" ", "-");

  it("a call the client's deadline ended is logged and counted as canceled or deadline_exceeded", async () => {
    const { clientCode, logged, grown } = await endedByClient(transport, `gone-deadline-${name}`, "deadline");
    expect(clientCode).toBe(Code.DeadlineExceeded);
    expect(ENDED_BY_CLIENT).toContain(logged?.code);
    expect(logged?.level).not.toBe("error");
    expect(grown).toEqual([logged?.code]);
  });

  it("a call ended by a client deadline the server was not told is logged and counted as canceled", async () => {
    const { clientCode, logged, grown } = await endedByClient(transport, `gone-private-${name}`, "private deadline");
    expect(clientCode).toBe(Code.DeadlineExceeded);
    expect(logged?.code).toBe("canceled");
    expect(logged?.error).toMatch(/the client ended the call before the answer was ready/);
    expect(grown).toEqual(["canceled"]);
  });

  it("a call the client aborted (no deadline) is logged and counted as canceled", async () => {
    const { clientCode, logged, grown } = await endedByClient(transport, `gone-abort-${name}`, "abort");
    expect(clientCode).toBe(Code.Canceled);
    expect(logged?.code).toBe("canceled");
    expect(grown).toEqual(["canceled"]);
  });
});
