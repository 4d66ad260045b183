/**
 * Graceful shutdown: in-flight work finishes within the grace period while every HTTP/2 session
 * gets GOAWAY at once (announced, then final) and new calls get UNAVAILABLE; overdue work is aborted (the engine sees it); streams answer what they read and end
 * with UNAVAILABLE; idle client sessions of every kind do not keep close() from finishing; the
 * engine is closed; startServer wires SIGTERM to all of this.
 */
import http from "node:http";
import http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { createFlorenceClient } from "../../client/index.js";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServingStatus } from "../../server/health.js";
import { silentLogger } from "../../server/logger.js";
import { startServer } from "../../server/main.js";
import { FakeEngine } from "../support/fake-engine.js";
import { client, rawImage, startTestServer, TRANSPORTS } from "./harness.js";

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("the call succeeded, but it should have failed");
}

/**
 * A raw HTTP/2 session with one Health Watch open (a gRPC frame of the empty request), recording
 * the last-stream-id of every GOAWAY the server sends.
 */
function openWatch(url: string) {
  const session = http2.connect(url);
  const goaways: number[] = [];
  session.on("goaway", (_code, lastStreamId) => goaways.push(lastStreamId));
  session.on("error", () => {});
  const stream = session.request({
    ":method": "POST",
    ":path": "/grpc.health.v1.Health/Watch",
    "content-type": "application/grpc",
    te: "trailers",
  });
  stream.on("error", () => {});
  stream.end(Buffer.alloc(5)); // no compression, length 0
  const started = new Promise<void>((resolve) => stream.once("data", () => resolve()));
  stream.resume();
  return { session, goaways, started };
}

describe("close()", () => {
  it("lets a request in flight finish, announces GOAWAY at once, answers new calls UNAVAILABLE, then closes the engine", async () => {
    const s = await startTestServer();
    const florence = createFlorenceClient({ baseUrl: s.url, retry: false });
    const release = s.engine.hold();
    const inFlight = florence.ocrImage(new Uint8Array(5));
    await s.engine.waitForCalls(1);
    // A second session with a call of its own open (a Health Watch) records the GOAWAYs it gets.
    const watcher = openWatch(s.url);
    await expect.poll(() => s.server.health.get("")).toBe(ServingStatus.SERVING);
    await watcher.started;
    const closing = s.server.close({ graceMs: 10_000 });

    // The announcement names the largest stream id (nothing refused yet), one PING round trip
    // later the final GOAWAY names the last stream the server took (the Watch): both arrive while
    // a call is still in flight, so clients and proxies move their next calls to another replica.
    await expect.poll(() => watcher.goaways).toEqual([2 ** 31 - 1, 1]);
    const refused = await failure(florence.ocrImage(new Uint8Array(1)));
    expect(refused.code).toBe(Code.Unavailable);
    expect(s.engine.calls).toHaveLength(1);

    release();
    expect((await inFlight)[0]?.text).toBe("ocr:ocr:5x1");
    await closing;
    watcher.session.destroy();
    expect(s.engine.closed).toBe(true);
    // Nothing listens any more: a new client cannot connect.
    expect((await failure(client(FlorenceService, s.url).ocrImage({ images: [rawImage(1, 1)] }))).code).toBe(
      Code.Unavailable,
    );
  });

  it("answers an HTTP/1.1 call in flight when the drain starts with Connection: close, keep-alive before", async () => {
    const s = await startTestServer();
    const c = client(FlorenceService, s.url, "connect h1");
    const connection = async (call: (onHeader: (h: Headers) => void) => Promise<unknown>) => {
      let value: string | null = null;
      await call((h) => {
        value = h.get("connection");
      });
      return value;
    };
    expect(await connection((onHeader) => c.ocrImage({ images: [rawImage(1, 1)] }, { onHeader }))).not.toBe("close");
    const release = s.engine.hold();
    const inFlight = connection((onHeader) => c.ocrImage({ images: [rawImage(2, 2)] }, { onHeader }));
    await s.engine.waitForCalls(2);
    const closing = s.server.close({ graceMs: 10_000 });
    release();
    expect(await inFlight).toBe("close");
    await closing;
  });

  it("aborts work still running when the grace period ends; the engine sees the abort", async () => {
    const s = await startTestServer();
    s.engine.hold();
    const inFlight = failure(client(FlorenceService, s.url).ocrImage({ images: [rawImage(1, 1)] }));
    await s.engine.waitForCalls(1);
    await s.server.close({ graceMs: 50 });
    expect((await inFlight).code).toBe(Code.Unavailable);
    expect(s.engine.aborted).toBe(1);
    expect(s.engine.calls[0]?.signal?.aborted).toBe(true);
    expect(s.engine.closed).toBe(true);
  });

  it("ends an open stream after answering the frames it read, with UNAVAILABLE", async () => {
    const s = await startTestServer();
    let stopClient: () => void = () => {};
    const clientStopped = new Promise<void>((r) => (stopClient = r));
    async function* frames() {
      yield { message: { case: "config" as const, value: { task: { task: 1 } } } };
      for (const id of [0n, 1n])
        yield { message: { case: "frame" as const, value: { frameId: id, image: rawImage(2, 2) } } };
      await clientStopped; // the client would go on sending; the server must end the stream itself
    }
    const answers: bigint[] = [];
    let error: ConnectError | undefined;
    try {
      for await (const a of client(FlorenceService, s.url).streamFrames(frames())) {
        answers.push(a.frameId);
        if (answers.length === 2) void s.server.close({ graceMs: 5000 });
      }
    } catch (e) {
      error = ConnectError.from(e);
    } finally {
      stopClient();
    }
    await s.server.closed;
    expect(answers).toEqual([0n, 1n]);
    expect(error?.code).toBe(Code.Unavailable);
    expect(error?.rawMessage).toMatch(/every frame received so far was answered/);
  });

  it("closes idle sessions of grpc-js, connect (every transport), raw HTTP/1.1 keep-alive and an open Watch without destroying any", async () => {
    const s = await startTestServer();
    for (const transport of TRANSPORTS)
      await client(FlorenceService, s.url, transport).ocrImage({ images: [rawImage(1, 1)] });

    const grpcClient = new grpc.Client(new URL(s.url).host, grpc.credentials.createInsecure());
    await new Promise<void>((resolve, reject) =>
      grpcClient.waitForReady(Date.now() + 5000, (e) => (e ? reject(e) : resolve())),
    );

    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve) => http.get(`${s.url}/`, { agent }, (res) => res.resume().on("end", resolve)));

    const watch = (async () => {
      for await (const _ of client(Health, s.url).watch({ service: "" })) {
        // keep watching until the server ends the stream
      }
    })().catch(() => {});

    await s.server.close({ graceMs: 1000 });
    await watch;
    grpcClient.close();
    agent.destroy();
    expect(s.engine.closed).toBe(true);
    // Every connection closed on its own after GOAWAY / Connection close: none had to be destroyed.
    expect(s.logs.find((l) => l.msg === "closed")).toMatchObject({ level: "info", destroyedConnections: 0 });
  });
});

describe("close() while the model is loading", () => {
  it("does not wait past the grace period; the engine is closed once it loads and never reported SERVING", async () => {
    let load: (e: FakeEngine) => void = () => {};
    const engine = new FakeEngine();
    const s = await startTestServer({ engine: new Promise<FakeEngine>((r) => (load = r)) });
    await s.server.close({ graceMs: 20 });
    expect(s.logs.some((l) => l.msg.startsWith("closed while the model was still loading"))).toBe(true);
    expect(engine.closed).toBe(false);
    load(engine);
    await s.server.ready;
    await expect.poll(() => engine.closed).toBe(true);
    expect(s.server.health.get("")).toBe(ServingStatus.NOT_SERVING);
  });
});

describe("startServer", () => {
  it("closes gracefully on SIGTERM and removes its signal handlers afterwards", async () => {
    const before = process.listenerCount("SIGTERM");
    const engine = new FakeEngine();
    const { server, address } = await startServer({ engine, host: "127.0.0.1", port: 0, logger: silentLogger });
    expect(process.listenerCount("SIGTERM")).toBe(before + 1);
    await server.ready;
    expect((await client(FlorenceService, address.url).ocrImage({ images: [rawImage(1, 1)] })).results).toHaveLength(1);
    process.emit("SIGTERM", "SIGTERM");
    await server.closed;
    expect(engine.closed).toBe(true);
    expect(process.listenerCount("SIGTERM")).toBe(before);
  });
});
