/**
 * GET /healthz (liveness) and GET /readyz (readiness) on the serving port: while the model loads,
 * once loaded, after a failed load, while no worker can run, and on close, where readiness turns
 * 503 first and calls are still answered for shutdownDelayMs before the drain refuses them.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import type { EngineAvailability } from "../../models/engine.js";
import { FlorenceError } from "../../models/errors.js";
import { ServingStatus } from "../../server/health.js";
import { client, rawImage, startTestServer } from "../server/harness.js";
import { FakeEngine } from "../support/fake-engine.js";
import { get11, getH2 } from "./support.js";

/** A fake whose worker availability the test switches. */
class FlakyEngine extends FakeEngine {
  readonly listeners = new Set<(a: EngineAvailability) => void>();
  onAvailabilityChange(listener: (a: EngineAvailability) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set available(available: boolean) {
    for (const l of this.listeners) l({ available, cause: new Error("worker exited") });
  }
}

describe("probes", () => {
  it("liveness holds while loading; readiness waits for the model (HTTP/1.1 and h2)", async () => {
    let load: (engine: FakeEngine) => void = () => {};
    const s = await startTestServer({ engine: new Promise<FakeEngine>((resolve) => (load = resolve)) });
    try {
      expect(await get11(s.url, "/healthz")).toMatchObject({ status: 200, body: "ok\n" });
      expect(await get11(s.url, "/readyz")).toMatchObject({ status: 503, body: "the model is loading\n" });
      load(new FakeEngine());
      await s.server.ready;
      expect(await get11(s.url, "/readyz")).toMatchObject({ status: 200, body: "ok\n" });
      expect(await getH2(s.url, "/readyz")).toMatchObject({ status: 200, body: "ok\n" });
      expect(await getH2(s.url, "/healthz")).toMatchObject({ status: 200, body: "ok\n" });
      expect(await get11(s.url, "/healthz", "HEAD")).toMatchObject({ status: 200, body: "" });
    } finally {
      await s.server.close();
    }
  });

  it("a failed load fails both", async () => {
    const s = await startTestServer({ engine: Promise.reject(new FlorenceError("model_load", "no such model")) });
    try {
      await s.server.ready;
      expect(await get11(s.url, "/healthz")).toMatchObject({ status: 503, body: "the model failed to load\n" });
      expect(await get11(s.url, "/readyz")).toMatchObject({ status: 503, body: "the model failed to load\n" });
    } finally {
      await s.server.close();
    }
  });

  it("no worker able to run fails both until one is back", async () => {
    const engine = new FlakyEngine();
    const s = await startTestServer({ engine });
    try {
      await s.server.ready;
      engine.available = false;
      expect(await get11(s.url, "/healthz")).toMatchObject({ status: 503, body: "no inference worker can run\n" });
      expect(await get11(s.url, "/readyz")).toMatchObject({ status: 503, body: "no inference worker can run\n" });
      engine.available = true;
      expect((await get11(s.url, "/healthz")).status).toBe(200);
      expect((await get11(s.url, "/readyz")).status).toBe(200);
    } finally {
      await s.server.close();
    }
  });

  it("on close, readiness goes first; calls are answered for shutdownDelayMs, then refused", async () => {
    const s = await startTestServer({ shutdownDelayMs: 400 });
    await s.server.ready;
    const c = client(FlorenceService, s.url);
    const closed = s.server.close();
    expect(await get11(s.url, "/readyz")).toMatchObject({ status: 503, body: "draining\n" });
    expect((await get11(s.url, "/healthz")).status).toBe(200);
    expect((await client(Health, s.url).check({ service: "" })).status).toBe(ServingStatus.NOT_SERVING);
    expect((await c.captionImage({ images: [rawImage(4, 4)] })).results).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 450));
    await expect(c.captionImage({ images: [rawImage(4, 4)] })).rejects.toSatisfy(
      (e) => ConnectError.from(e).code === Code.Unavailable,
    );
    await closed;
  });
});
