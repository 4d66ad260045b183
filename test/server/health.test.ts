/** grpc.health.v1 over the wire: load, serve, drain; Check, List and Watch (with cleanup on cancel). */
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { FakeEngine } from "../support/fake-engine.js";
import { client, rawImage, startTestServer } from "./harness.js";

describe("health", () => {
  it("Check: NOT_SERVING while loading, SERVING once loaded, NOT_SERVING while draining; NOT_FOUND for unknown services", async () => {
    let load: (e: FakeEngine) => void = () => {};
    const engine = new FakeEngine();
    const s = await startTestServer({ engine: new Promise<FakeEngine>((r) => (load = r)) });
    const health = client(Health, s.url);
    try {
      for (const service of ["", "florence.v1.FlorenceService", "florence.v1.ModelService"]) {
        expect((await health.check({ service })).status).toBe(Status.NOT_SERVING);
      }
      load(engine);
      await s.server.ready;
      expect((await health.check({ service: "florence.v1.FlorenceService" })).status).toBe(Status.SERVING);
      const list = await health.list({});
      expect(Object.keys(list.statuses).sort()).toEqual([
        "",
        "florence.v1.FlorenceService",
        "florence.v1.ModelService",
      ]);
      const unknown = await health.check({ service: "nope.v1.Nope" }).catch((e: unknown) => ConnectError.from(e));
      expect(unknown).toBeInstanceOf(ConnectError);
      expect((unknown as ConnectError).code).toBe(Code.NotFound);

      // A request held in flight keeps the drain open; every status is NOT_SERVING during it. Over
      // the wire only open Watch streams see that (the Watch test below): the draining server
      // sends GOAWAY and accepts no new connection, so a new Check goes to another replica.
      const release = engine.hold();
      const inFlight = client(FlorenceService, s.url).ocrImage({ images: [rawImage(1, 1)] });
      await engine.waitForCalls(1);
      const closing = s.server.close({ graceMs: 5000 });
      for (const service of ["", "florence.v1.FlorenceService", "florence.v1.ModelService"]) {
        expect(s.server.health.get(service)).toBe(Status.NOT_SERVING);
      }
      release();
      await expect(inFlight).resolves.toBeDefined();
      await closing;
    } finally {
      await s.server.close();
    }
  });

  it("Watch streams every change: NOT_SERVING -> SERVING -> NOT_SERVING, then ends at shutdown", async () => {
    let load: (e: FakeEngine) => void = () => {};
    const s = await startTestServer({ engine: new Promise<FakeEngine>((r) => (load = r)) });
    const seen: Status[] = [];
    const watching = (async () => {
      for await (const r of client(Health, s.url).watch({ service: "florence.v1.FlorenceService" })) {
        seen.push(r.status);
        if (r.status === Status.NOT_SERVING && seen.length === 1) load(new FakeEngine());
        if (r.status === Status.SERVING) void s.server.close({ graceMs: 1000 });
      }
    })().catch((e: unknown) => ConnectError.from(e));
    await s.server.closed;
    const end = await watching;
    expect(seen).toEqual([Status.NOT_SERVING, Status.SERVING, Status.NOT_SERVING]);
    // The stream ends at shutdown, OK or UNAVAILABLE; either tells the client to reconnect elsewhere.
    if (end instanceof ConnectError) expect(end.code).toBe(Code.Unavailable);
  });

  it("Watch of an unknown service sends SERVICE_UNKNOWN and stays open; cancelling it unsubscribes", async () => {
    const s = await startTestServer();
    try {
      await s.server.ready;
      const controller = new AbortController();
      const stream = client(Health, s.url).watch({ service: "nope.v1.Nope" }, { signal: controller.signal });
      const iterator = stream[Symbol.asyncIterator]();
      expect((await iterator.next()).value?.status).toBe(Status.SERVICE_UNKNOWN);
      expect(s.server.health.listenerCount).toBe(1);
      controller.abort();
      await expect(iterator.next()).rejects.toMatchObject({ code: Code.Canceled });
      await expect.poll(() => s.server.health.listenerCount).toBe(0);
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });
});
