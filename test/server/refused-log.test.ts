/**
 * A unary request over readMaxBytes is refused by connect before any handler of ours runs, so the
 * call's log line is written by the router wrapper of server/errors.ts (given the logger): one
 * `request` line per refused call, over every protocol, with the method, the peer, the code and the
 * limit, and nothing of the payload. Calls that reach the handler are not logged by it.
 */
import type { AddressInfo } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { connectionContextValues } from "../../server/call-log.js";
import { answerDecodeErrorsAsInvalidArgument } from "../../server/errors.js";
import { DualProtocolListener } from "../../server/listener.js";
import { type LogEntry, type RequestLogEntry, silentLogger } from "../../server/logger.js";
import { DEFAULT_SERVER_OPTIONS } from "../../server/options.js";
import { client, encodedImage, TRANSPORTS } from "./harness.js";

const LIMIT = 1024 * 1024;
const PAYLOAD_FILL = 0x5a; // "Z": a long run of it in a log line would be the payload
const logs: LogEntry[] = [];
let listener: DualProtocolListener;
let url: string;

beforeAll(async () => {
  const handler = connectNodeAdapter({
    routes: (router) => {
      router.service(FlorenceService, { captionImage: async () => ({ results: [] }) });
      router.service(Health, {
        async *watch() {
          yield { status: HealthCheckResponse_ServingStatus.SERVING };
        },
      });
      answerDecodeErrorsAsInvalidArgument(router, (entry) => logs.push(entry));
    },
    readMaxBytes: LIMIT,
    contextValues: (req) => connectionContextValues(req.socket),
  });
  listener = new DualProtocolListener(handler, {
    ...DEFAULT_SERVER_OPTIONS,
    logger: silentLogger,
    tls: undefined,
    requireClientCert: false,
  });
  const address: AddressInfo = await listener.listen(0, "127.0.0.1");
  url = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  listener.destroyAll();
  await listener.stopAccepting();
});

function linesOf(requestId: string): RequestLogEntry[] {
  return logs.filter((l): l is RequestLogEntry => l.msg === "request" && "requestId" in l && l.requestId === requestId);
}

describe.each(TRANSPORTS.map((t, i) => [t, i] as const))("over %s", (transport, index) => {
  it("a message over readMaxBytes is RESOURCE_EXHAUSTED and logged once: method, peer, code, limit", async () => {
    const requestId = `over-limit-${index}`;
    const e = await client(FlorenceService, url, transport)
      .captionImage({ images: [encodedImage(2 * LIMIT, PAYLOAD_FILL)] }, { headers: { "x-request-id": requestId } })
      .then(
        () => undefined,
        (error: unknown) => ConnectError.from(error),
      );
    expect(e?.code).toBe(Code.ResourceExhausted);
    await expect.poll(() => linesOf(requestId).length).toBe(1);
    const [line] = linesOf(requestId);
    expect(line).toMatchObject({
      level: "warn",
      method: "florence.v1.FlorenceService/CaptionImage",
      protocol: transport.split(" ")[0],
      code: "resource_exhausted",
      readMaxBytes: LIMIT,
      images: 0,
      bytes: 0,
    });
    expect(line?.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(line?.error).toMatch(/larger than configured readMaxBytes 1048576/);
    expect(JSON.stringify(line)).not.toContain("ZZZZ");
    expect(JSON.stringify(line).length).toBeLessThan(1000);
  });

  it("a server-streaming request over readMaxBytes is logged the same way", async () => {
    const requestId = `watch-over-limit-${index}`;
    const stream = client(Health, url, transport).watch(
      { service: "Z".repeat(2 * LIMIT) },
      { headers: { "x-request-id": requestId } },
    );
    const e = await (async () => {
      for await (const _ of stream) {
        // no answer is expected: the request is refused while it is read
      }
    })().then(
      () => undefined,
      (error: unknown) => ConnectError.from(error),
    );
    expect(e?.code).toBe(Code.ResourceExhausted);
    await expect.poll(() => linesOf(requestId).length).toBe(1);
    expect(linesOf(requestId)[0]).toMatchObject({
      method: "grpc.health.v1.Health/Watch",
      code: "resource_exhausted",
      readMaxBytes: LIMIT,
    });
    expect(JSON.stringify(linesOf(requestId)[0])).not.toContain("ZZZZ");
  });

  it("a call under the limit reaches the handler and is not logged here", async () => {
    const requestId = `under-limit-${index}`;
    await client(FlorenceService, url, transport).captionImage(
      { images: [encodedImage(64)] },
      { headers: { "x-request-id": requestId } },
    );
    expect(linesOf(requestId)).toEqual([]);
  });
});
