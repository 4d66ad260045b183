/**
 * Several models in one server (FlorenceServerInit.models), over the wire with the TypeScript
 * client: each request reaches its model's engine (counted per engine), unknown names are
 * NOT_FOUND, least-recently-used unloading under maxLoadedModels 1 is seen in ListModels'
 * loads/unloads, requests wait for a load (bounded by their deadline) and share it, streams name
 * their model, health has an entry per model, metrics carry a model label, and LoadModel /
 * UnloadModel need a token when the server has a tokens file.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Code, ConnectError, createFlorenceClient, type FlorenceClient } from "../../client/index.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { FlorenceError } from "../../models/errors.js";
import type { LogEntry } from "../../server/logger.js";
import type { ModelSource } from "../../server/model-registry.js";
import { createFlorenceServer, type FlorenceServer, type FlorenceServerInit } from "../../server/server.js";
import { FakeEngine } from "../support/fake-engine.js";
import { client as rawClient } from "../server/harness.js";

/** A named model whose loads are counted; `gate` holds the next loads, `failNext` fails the next one. */
class CountingModel {
  loadsStarted = 0;
  readonly engines: FakeEngine[] = [];
  gate: Promise<void> | undefined;
  failNext: FlorenceError | undefined;
  constructor(readonly name: string) {}

  get source(): ModelSource {
    return {
      name: this.name,
      load: async () => {
        this.loadsStarted++;
        await this.gate;
        const failure = this.failNext;
        this.failNext = undefined;
        if (failure !== undefined) throw failure;
        const engine = new FakeEngine();
        this.engines.push(engine);
        return engine;
      },
    };
  }

  /** Calls the engines of this model received. */
  get calls(): number {
    return this.engines.reduce((sum, e) => sum + e.calls.length, 0);
  }

  /** Holds the next loads until the returned function is called. */
  hold(): () => void {
    let open: () => void = () => {};
    this.gate = new Promise<void>((resolve) => (open = resolve));
    return () => {
      this.gate = undefined;
      open();
    };
  }
}

interface Started {
  readonly server: FlorenceServer;
  readonly url: string;
  readonly logs: LogEntry[];
  readonly client: FlorenceClient;
}

const servers: FlorenceServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close({ graceMs: 1000 })));
});

async function start(models: readonly CountingModel[], init: Partial<FlorenceServerInit> = {}): Promise<Started> {
  const logs: LogEntry[] = [];
  const server = createFlorenceServer({
    logger: (e) => logs.push(e),
    host: "127.0.0.1",
    port: 0,
    ...init,
    models: models.map((m) => m.source),
  });
  servers.push(server);
  const { url } = await server.listen();
  return { server, url, logs, client: createFlorenceClient({ baseUrl: url, retry: false }) };
}

const IMAGE = new Uint8Array(5).fill(7); // the fake engine reports it as 5 x 1
const SMALL = { maxNewTokens: 4, numBeams: 1 } as const;

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("the call succeeded, but it should have failed");
}

describe("a server with two models", () => {
  it("routes each request to its model; unset is the default; unknown is NOT_FOUND naming the models", async () => {
    const base = new CountingModel("base");
    const ft = new CountingModel("customer-ft");
    const s = await start([base, ft]);
    expect(await s.server.ready).toBe(true);
    expect(base.loadsStarted).toBe(1);
    expect(ft.loadsStarted).toBe(0); // loaded on first use only
    await s.client.captionImage(IMAGE, SMALL);
    await s.client.ocrImage(IMAGE, { ...SMALL, model: "customer-ft" });
    await s.client.run("caption", [IMAGE, IMAGE], { ...SMALL, model: "customer-ft" });
    await s.client.runTasks(IMAGE, [{ task: "ocr" }], { ...SMALL, model: "base" });
    expect(base.calls).toBe(2);
    expect(ft.calls).toBe(2);
    const unknown = await failure(s.client.captionImage(IMAGE, { model: "nope" }));
    expect(unknown.code).toBe(Code.NotFound);
    expect(unknown.rawMessage).toBe(
      'no model "nope" on this server; it has: base, customer-ft (leave model unset for base)',
    );
    const list = await s.client.listServedModels();
    expect(list.models.map((m) => [m.name, m.state, m.isDefault, m.loads, m.unloads])).toEqual([
      ["base", "loaded", true, 1, 0],
      ["customer-ft", "loaded", false, 1, 0],
    ]);
    expect(list.models[1]?.id).toBe("fake/florence-2");
    const logged = s.logs.filter((l) => l.msg === "request" && "model" in l).map((l) => l.model);
    expect(logged).toEqual(["base", "customer-ft", "customer-ft", "base"]);
  });

  it("a client default model, overridden per call", async () => {
    const a = new CountingModel("a");
    const b = new CountingModel("b");
    const s = await start([a, b]);
    const onB = createFlorenceClient({ baseUrl: s.url, model: "b", retry: false });
    await onB.captionImage(IMAGE, SMALL);
    await onB.captionImage(IMAGE, { ...SMALL, model: "a" });
    expect([a.calls, b.calls]).toEqual([1, 1]);
  });

  it("max 1 loaded model: each switch unloads the idle one (counted), and every request is answered", async () => {
    const a = new CountingModel("a");
    const b = new CountingModel("b");
    const s = await start([a, b], { maxLoadedModels: 1 });
    await s.server.ready;
    for (const model of ["b", "a", "b"]) await s.client.captionImage(IMAGE, { ...SMALL, model });
    const list = await s.client.listServedModels();
    expect(list.models.map((m) => [m.name, m.state, m.loads, m.unloads])).toEqual([
      ["a", "unloaded", 2, 2],
      ["b", "loaded", 2, 1],
    ]);
    expect([a.loadsStarted, b.loadsStarted]).toEqual([2, 2]);
    expect(a.engines.every((e) => e.closed)).toBe(true);
    // An unloaded model lists its name and state only.
    expect(list.models[0]).toMatchObject({ id: "", tasks: [], stats: undefined });
  });

  it("a model in use is not unloaded: the new one loads over the budget, the idle one goes after", async () => {
    const a = new CountingModel("a");
    const b = new CountingModel("b");
    const s = await start([a, b], { maxLoadedModels: 1 });
    await s.server.ready;
    const release = a.engines[0]!.hold();
    const onA = s.client.captionImage(IMAGE, SMALL);
    await a.engines[0]!.waitForCalls(1);
    await s.client.captionImage(IMAGE, { ...SMALL, model: "b" });
    expect((await s.client.listServedModels()).models.map((m) => m.state)).toEqual(["loaded", "unloaded"]);
    release();
    await onA;
    expect(a.engines[0]!.closed).toBe(false);
  });

  it("concurrent first requests share one load and are all served once it ends", async () => {
    const a = new CountingModel("a");
    const b = new CountingModel("b");
    const s = await start([a, b]);
    await s.server.ready;
    const open = b.hold();
    const calls = [1, 2, 3].map(() => s.client.captionImage(IMAGE, { ...SMALL, model: "b" }));
    await expect.poll(async () => (await s.client.listServedModels()).models[1]?.state).toBe("loading");
    open();
    expect(await Promise.all(calls)).toHaveLength(3);
    expect(b.loadsStarted).toBe(1);
    expect(b.calls).toBe(3);
  });

  it("the deadline bounds the wait for a load; the load still ends and serves the next call", async () => {
    const a = new CountingModel("a");
    const b = new CountingModel("b");
    const s = await start([a, b]);
    await s.server.ready;
    const open = b.hold();
    const late = await failure(s.client.captionImage(IMAGE, { ...SMALL, model: "b", timeoutMs: 200 }));
    expect(late.code).toBe(Code.DeadlineExceeded);
    open();
    await expect(s.client.captionImage(IMAGE, { ...SMALL, model: "b" })).resolves.toHaveLength(1);
    expect(b.loadsStarted).toBe(1);
  });

  it("a failed lazy load answers with its error and does not stick: the next request loads it", async () => {
    const a = new CountingModel("a");
    const b = new CountingModel("b");
    b.failNext = new FlorenceError("model_load", "onnx/encoder_model.onnx is missing in the model folder");
    const s = await start([a, b]);
    await s.server.ready;
    const e = await failure(s.client.captionImage(IMAGE, { ...SMALL, model: "b" }));
    expect(e.code).toBe(Code.FailedPrecondition);
    expect(e.rawMessage).toBe('model "b" could not be loaded: onnx/encoder_model.onnx is missing in the model folder');
    const failed = (await s.client.listServedModels()).models[1];
    expect(failed).toMatchObject({
      state: "failed",
      loadError: 'model "b" could not be loaded: onnx/encoder_model.onnx is missing in the model folder',
    });
    expect((await rawClient(Health, s.url).check({ service: "b" })).status).toBe(Status.NOT_SERVING);
    await expect(s.client.captionImage(IMAGE, { ...SMALL, model: "b" })).resolves.toHaveLength(1);
    expect((await rawClient(Health, s.url).check({ service: "b" })).status).toBe(Status.SERVING);
  });

  it("a stream runs on its config's model", async () => {
    const a = new CountingModel("a");
    const b = new CountingModel("b");
    const s = await start([a, b]);
    const frames = [0, 1, 2].map((frameId) => ({ image: IMAGE, frameId }));
    const answers = [];
    for await (const answer of s.client.streamFrames(frames, { task: { task: "caption" }, ...SMALL, model: "b" })) {
      answers.push(answer);
    }
    expect(answers.map((x) => x.kind)).toEqual(["result", "result", "result"]);
    expect([a.calls, b.calls]).toEqual([0, 3]);
    const unknown = s.client.streamFrames(frames, { task: { task: "caption" }, model: "zzz" });
    const error = await (async () => {
      for await (const _ of unknown) {
        // no answer is expected before the error
      }
    })().catch((e: unknown) => ConnectError.from(e));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.NotFound);
  });

  it("health has an entry per model; metrics label requests and tokens by model", async () => {
    const a = new CountingModel("a");
    const b = new CountingModel("b");
    const s = await start([a, b]);
    const health = rawClient(Health, s.url);
    await s.server.ready;
    const statuses = (await health.list({})).statuses;
    expect(Object.keys(statuses).sort()).toEqual([
      "",
      "a",
      "b",
      "florence.v1.FlorenceService",
      "florence.v1.ModelService",
    ]);
    expect((await health.check({ service: "b" })).status).toBe(Status.SERVING); // loadable
    expect((await failure(health.check({ service: "zzz" }))).code).toBe(Code.NotFound);
    await s.client.captionImage(IMAGE, { ...SMALL, model: "b" });
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toContain(
      'florence2_requests_total{method="florence.v1.FlorenceService/CaptionImage",code="ok",model="b"} 1',
    );
    expect(text).toContain('florence2_generated_tokens_total{model="b"} 3');
    expect(text).toMatch(/florence2_model_load_seconds\{model="a"\} /);
  });

  it("LoadModel and UnloadModel: preload on demand, refuse an unload in use, count both", async () => {
    const a = new CountingModel("a");
    const b = new CountingModel("b");
    const s = await start([a, b]);
    await s.server.ready;
    expect(await s.client.loadModel("b")).toMatchObject({ name: "b", state: "loaded", loads: 1 });
    const release = b.engines[0]!.hold();
    const inUse = s.client.captionImage(IMAGE, { ...SMALL, model: "b" });
    await b.engines[0]!.waitForCalls(1);
    expect((await failure(s.client.unloadModel("b"))).code).toBe(Code.FailedPrecondition);
    release();
    await inUse;
    expect(await s.client.unloadModel("b")).toMatchObject({ name: "b", state: "unloaded", unloads: 1 });
    expect(b.engines[0]!.closed).toBe(true);
    expect((await failure(s.client.loadModel("zzz"))).code).toBe(Code.NotFound);
    expect((await failure(s.client.loadModel(""))).code).toBe(Code.InvalidArgument);
  });

  it("with a tokens file, LoadModel and UnloadModel need a token like every call", async () => {
    const dir = mkdtempSync(join(tmpdir(), "florence-models-"));
    try {
      const token = `${"t".repeat(24)}0123456789abcdef`;
      writeFileSync(join(dir, "tokens"), `ops:${token}\n`);
      const a = new CountingModel("a");
      const b = new CountingModel("b");
      const s = await start([a, b], { authTokensFile: join(dir, "tokens") });
      await s.server.ready;
      expect((await failure(s.client.loadModel("b"))).code).toBe(Code.Unauthenticated);
      expect((await failure(s.client.unloadModel("a"))).code).toBe(Code.Unauthenticated);
      expect(b.loadsStarted).toBe(0);
      const operator = createFlorenceClient({ baseUrl: s.url, token, retry: false });
      expect((await operator.loadModel("b")).state).toBe("loaded");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("preloadModels loads every model at start", async () => {
    const a = new CountingModel("a");
    const b = new CountingModel("b");
    const s = await start([a, b], { preloadModels: true, defaultModel: "b" });
    await s.server.ready;
    await expect.poll(() => a.engines.length).toBe(1);
    const list = await s.client.listServedModels();
    expect(list.models.map((m) => [m.name, m.isDefault])).toEqual([
      ["b", true],
      ["a", false],
    ]);
  });
});
