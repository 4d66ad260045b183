/**
 * Request log lines: each carries the request id (the caller's sane x-request-id, else a new one,
 * returned in the response's x-request-id), the caller's traceparent trace id even with tracing
 * off, the peer, the method, the code and the duration; --log-level drops lower entries. Plus the
 * pure parsers of request ids and traceparent headers.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import { atLevel, type LogEntry, type RequestLogEntry } from "../../server/logger.js";
import { parseTraceParent, requestIdFrom } from "../../server/request-id.js";
import { client, rawImage, startTestServer } from "../server/harness.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const requests = (logs: readonly LogEntry[]) => logs.filter((e): e is RequestLogEntry => e.msg === "request");

describe("request log lines", () => {
  it.each(["grpc", "connect h1", "grpc-web h2"] as const)(
    "carry request id, trace id, peer, method, code and duration (%s)",
    async (transport) => {
      const s = await startTestServer();
      try {
        const c = client(FlorenceService, s.url, transport);
        let header: Headers | undefined;
        await c.captionImage(
          { images: [rawImage(4, 4)] },
          {
            headers: { "x-request-id": "job-42:a", traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` },
            onHeader: (h) => (header = h),
          },
        );
        let failedHeader: Headers | undefined;
        const error = ConnectError.from(
          await c
            .captionImage(
              { images: [] },
              { headers: { "x-request-id": "bad id with spaces" }, onHeader: (h) => (failedHeader = h) },
            )
            .catch((e: unknown) => e),
        );
        expect(error.code).toBe(Code.InvalidArgument);
        const [ok, failed] = requests(s.logs);
        expect(ok).toMatchObject({
          requestId: "job-42:a",
          traceId: TRACE_ID,
          method: "florence.v1.FlorenceService/CaptionImage",
          code: "ok",
        });
        expect(ok?.peer).toMatch(/^127\.0\.0\.1:\d+$/);
        expect(ok?.durationMs).toBeGreaterThanOrEqual(0);
        expect(header?.get("x-request-id")).toBe("job-42:a");
        expect(failed?.requestId).toMatch(UUID);
        expect(failed?.traceId).toBeUndefined();
        expect(failed?.code).toBe("invalid_argument");
        // A failed call's headers may come merged into its error's metadata (gRPC trailers-only).
        expect(failedHeader?.get("x-request-id") ?? error.metadata.get("x-request-id")).toBe(failed?.requestId);
      } finally {
        await s.server.close();
      }
    },
  );

  it("--log-level drops the entries below it", async () => {
    const s = await startTestServer({ logLevel: "error" });
    try {
      const c = client(FlorenceService, s.url);
      await c.captionImage({ images: [rawImage(4, 4)] });
      const boom = { source: { case: "encoded" as const, value: new TextEncoder().encode("BOOM") } };
      await expect(c.captionImage({ images: [boom] })).rejects.toThrow();
      expect(requests(s.logs).map((e) => e.code)).toEqual(["internal"]);
      expect(s.logs.every((e) => e.level === "error")).toBe(true);
    } finally {
      await s.server.close();
    }
  });

  it.each([
    ["debug", ["debug", "info", "warn", "error"]],
    ["info", ["info", "warn", "error"]],
    ["warn", ["warn", "error"]],
    ["error", ["error"]],
  ] as const)("atLevel(%s) keeps %j", (level, kept) => {
    const seen: string[] = [];
    const logger = atLevel((e) => seen.push(e.level), level);
    for (const l of ["debug", "info", "warn", "error"] as const) logger({ level: l, msg: "x" });
    expect(seen).toEqual(kept);
  });
});

describe("requestIdFrom", () => {
  it.each([
    ["abc-123", "abc-123"],
    ["0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5b-d9cb-469f-a165-70867728950e"],
    ["Root=1-5759e988-bd862e3fe1be46a994272793", "Root=1-5759e988-bd862e3fe1be46a994272793"],
  ])("keeps %s", (given, kept) => {
    expect(requestIdFrom(given)).toBe(kept);
  });
  it.each([[null], [""], ["has space"], ["line\nbreak"], ["x".repeat(129)], ['quote"']])(
    "replaces %j with a UUID",
    (given) => {
      expect(requestIdFrom(given)).toMatch(UUID);
    },
  );
});

describe("parseTraceParent", () => {
  it.each([
    [`00-${TRACE_ID}-00f067aa0ba902b7-01`, { traceId: TRACE_ID, parentSpanId: "00f067aa0ba902b7", sampled: true }],
    [`00-${TRACE_ID}-00f067aa0ba902b7-00`, { traceId: TRACE_ID, parentSpanId: "00f067aa0ba902b7", sampled: false }],
    [
      `01-${TRACE_ID}-00f067aa0ba902b7-03-future`,
      { traceId: TRACE_ID, parentSpanId: "00f067aa0ba902b7", sampled: true },
    ],
  ])("reads %s", (header, parsed) => {
    expect(parseTraceParent(header)).toEqual(parsed);
  });
  it.each([
    [undefined],
    ["garbage"],
    [`ff-${TRACE_ID}-00f067aa0ba902b7-01`],
    [`00-${"0".repeat(32)}-00f067aa0ba902b7-01`],
    [`00-${TRACE_ID}-${"0".repeat(16)}-01`],
    [`00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01`],
    [`00-${TRACE_ID}-00f067aa0ba902b7-01-extra`],
  ])("refuses %j", (header) => {
    expect(parseTraceParent(header)).toBeUndefined();
  });
});
