/**
 * ModelRegistry on its own (server/model-registry.ts): names and the default, shared loads,
 * least-recently-used unloading of idle models counted with loads/unloads, waits bounded by the
 * caller's signal, failed loads that do not stick; and the health status table (model-health.ts).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { FlorenceError } from "../../models/errors.js";
import { ServingStatus } from "../../server/health.js";
import { modelStatus, serverStatus } from "../../server/model-health.js";
import { type ModelSource, ModelRegistry, type ModelView } from "../../server/model-registry.js";
import { createModelRegistry } from "../../server/server.js";
import { FakeEngine } from "../support/fake-engine.js";

/** A source whose loads are counted and, when `gate` is set, wait for it; `fail` makes the next load fail. */
function source(name: string, init: { bytes?: number } = {}) {
  const state = {
    loadsStarted: 0,
    engines: [] as FakeEngine[],
    gate: undefined as Promise<void> | undefined,
    fail: undefined as Error | undefined,
  };
  const model: ModelSource = {
    name,
    load: async () => {
      state.loadsStarted++;
      await state.gate;
      if (state.fail !== undefined) {
        const error = state.fail;
        state.fail = undefined;
        throw error;
      }
      const engine = new FakeEngine();
      state.engines.push(engine);
      return engine;
    },
    sizeBytes: () => init.bytes ?? 0,
  };
  return { model, state };
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const NO_BUDGET = { maxLoaded: 0, maxBytes: 0 };

describe("ModelRegistry", () => {
  it("resolves names: unset and empty are the default; unknown is NOT_FOUND naming the models", () => {
    const r = new ModelRegistry([source("a").model, source("b").model], NO_BUDGET, "b");
    expect(r.names).toEqual(["b", "a"]);
    expect(r.resolve(undefined)).toBe("b");
    expect(r.resolve("")).toBe("b");
    expect(r.resolve("a")).toBe("a");
    const error = (() => {
      try {
        r.resolve("zzz");
      } catch (e) {
        return ConnectError.from(e);
      }
      return undefined;
    })();
    expect(error?.code).toBe(Code.NotFound);
    expect(error?.rawMessage).toContain('no model "zzz"');
    expect(error?.rawMessage).toContain("it has: b, a");
  });

  it.each([
    [[], undefined, /at least one model/],
    [["a", "a"], undefined, /given twice/],
    [["a"], "b", /default model "b" is not one of the models: a/],
    [["bad name"], undefined, /not allowed/],
  ])("refuses models %j with default %s", (names, defaultName, message) => {
    expect(
      () =>
        new ModelRegistry(
          names.map((n) => source(n).model),
          NO_BUDGET,
          defaultName,
        ),
    ).toThrow(message);
  });

  it("concurrent first acquires share one load; the lease keeps the model in use until released", async () => {
    const a = source("a");
    const g = gate();
    a.state.gate = g.promise;
    const r = new ModelRegistry([a.model], NO_BUDGET);
    const leases = Promise.all([r.acquire("a"), r.acquire(undefined), r.acquire("a")]);
    expect(r.view("a").state).toBe("loading");
    g.open();
    const [l1, l2, l3] = await leases;
    expect(a.state.loadsStarted).toBe(1);
    expect(l1?.engine).toBe(l2?.engine);
    expect(l2?.engine).toBe(l3?.engine);
    expect(r.view("a")).toMatchObject({ state: "loaded", loads: 1, inUse: 3 });
    for (const l of [l1, l2, l3]) l?.release();
    l1?.release(); // idempotent
    expect(r.view("a").inUse).toBe(0);
  });

  it("max 1 loaded: loading b unloads idle a (LRU), never a model in use", async () => {
    const a = source("a");
    const b = source("b");
    const c = source("c");
    const r = new ModelRegistry([a.model, b.model, c.model], { maxLoaded: 1, maxBytes: 0 });
    (await r.acquire("a")).release();
    (await r.acquire("b")).release();
    expect(r.view("a")).toMatchObject({ state: "unloaded", loads: 1, unloads: 1 });
    expect(r.view("b")).toMatchObject({ state: "loaded", loads: 1, unloads: 0 });
    await expect.poll(() => a.state.engines[0]?.closed).toBe(true);
    // b is held by a call: loading c goes over the budget instead of unloading b ...
    const holdB = await r.acquire("b");
    const holdC = await r.acquire("c");
    expect(r.view("b").state).toBe("loaded");
    expect(r.view("c").state).toBe("loaded");
    // ... and once b is idle, the excess goes: b, the only idle one.
    holdB.release();
    expect(
      r
        .views()
        .filter((v) => v.state === "loaded")
        .map((v) => v.name),
    ).toEqual(["c"]);
    expect(r.view("b")).toMatchObject({ loads: 1, unloads: 1 });
    holdC.release();
    expect(r.view("c")).toMatchObject({ state: "loaded", loads: 1, unloads: 0 });
    // An unloaded model loads again on its next use.
    (await r.acquire("a")).release();
    expect(r.view("a")).toMatchObject({ state: "loaded", loads: 2, unloads: 1 });
    expect(a.state.loadsStarted).toBe(2);
  });

  it("the byte budget unloads least recently used idle models until the loaded ones fit", async () => {
    const a = source("a", { bytes: 60 });
    const b = source("b", { bytes: 30 });
    const c = source("c", { bytes: 50 });
    const r = new ModelRegistry([a.model, b.model, c.model], { maxLoaded: 0, maxBytes: 100 });
    (await r.acquire("a")).release();
    (await r.acquire("b")).release();
    expect(r.views().map((v) => v.state)).toEqual(["loaded", "loaded", "unloaded"]);
    (await r.acquire("c")).release(); // 60 + 30 + 50 > 100: a, the least recently used, goes
    expect(r.views().map((v) => v.state)).toEqual(["unloaded", "loaded", "loaded"]);
  });

  it("a wait for a load ends with the caller's signal; the load goes on for the others", async () => {
    const a = source("a");
    const g = gate();
    a.state.gate = g.promise;
    const r = new ModelRegistry([a.model], NO_BUDGET);
    const caller = new AbortController();
    const waiting = r.acquire("a", caller.signal);
    const other = r.acquire("a");
    caller.abort(new Error("deadline"));
    await expect(waiting).rejects.toMatchObject({ kind: "cancelled" });
    g.open();
    const lease = await other;
    expect(lease.engine).toBeInstanceOf(FakeEngine);
    expect(r.view("a").inUse).toBe(1);
  });

  it("a failed load is reported with its error and the next acquire tries again", async () => {
    const a = source("a");
    a.state.fail = new FlorenceError("model_load", "onnx/decoder_model_merged.onnx is missing");
    const r = new ModelRegistry([a.model], NO_BUDGET);
    await expect(r.acquire("a")).rejects.toMatchObject({
      kind: "model_load",
      message: 'model "a" could not be loaded: onnx/decoder_model_merged.onnx is missing',
    });
    expect(r.view("a")).toMatchObject({ state: "failed", inUse: 0 });
    expect(r.view("a").loadError?.message).toBe(
      'model "a" could not be loaded: onnx/decoder_model_merged.onnx is missing',
    );
    const lease = await r.acquire("a");
    expect(r.view("a")).toMatchObject({ state: "loaded", loads: 1, loadError: undefined });
    lease.release();
    expect(a.state.loadsStarted).toBe(2);
  });

  it("while a start-up load runs, acquire answers UNAVAILABLE at once", async () => {
    const a = source("a");
    const g = gate();
    a.state.gate = g.promise;
    const r = new ModelRegistry([a.model], NO_BUDGET);
    const preloading = r.preload("a");
    expect(r.view("a").startupLoading).toBe(true);
    await expect(r.acquire("a")).rejects.toMatchObject({ kind: "unavailable" });
    g.open();
    expect(await preloading).toBeInstanceOf(FakeEngine);
    (await r.acquire("a")).release();
  });

  it("unload: refused while in use; then unloads, and the next use loads again", async () => {
    const a = source("a");
    const r = new ModelRegistry([a.model], NO_BUDGET);
    const lease = await r.acquire("a");
    await expect(r.unload("a")).rejects.toMatchObject({ code: Code.FailedPrecondition });
    lease.release();
    expect(await r.unload("a")).toMatchObject({ state: "unloaded", unloads: 1 });
    expect(a.state.engines[0]?.closed).toBe(true);
    expect((await r.load("a")).state).toBe("loaded");
    expect(a.state.loadsStarted).toBe(2);
  });

  it("an engine handed over (createModelRegistry with engine) is named by its id and is never unloaded", async () => {
    const engine = new FakeEngine();
    const r = createModelRegistry({ engine }, { defaultModel: undefined, maxLoadedModels: 0, modelMemoryMb: 0 });
    expect(r.names).toEqual(["fake/florence-2"]);
    (await r.acquire(undefined)).release();
    await expect(r.unload("fake/florence-2")).rejects.toMatchObject({ code: Code.FailedPrecondition });
    const promised = createModelRegistry(
      { engine: Promise.resolve(engine) },
      { defaultModel: undefined, maxLoadedModels: 0, modelMemoryMb: 0 },
    );
    expect(promised.names).toEqual(["default"]);
  });
});

describe("health statuses", () => {
  const view = (over: Partial<ModelView>): ModelView => ({
    name: "m",
    state: "loaded",
    isDefault: false,
    engine: undefined,
    loadError: undefined,
    loads: 0,
    unloads: 0,
    inUse: 0,
    workersAvailable: true,
    startupLoading: false,
    unavailableCause: undefined,
    ...over,
  });
  const ready = { ready: true, draining: false };
  const { SERVING, NOT_SERVING } = ServingStatus;

  it.each([
    ["loaded", view({}), ready, SERVING],
    ["unloaded (loadable)", view({ state: "unloaded" }), ready, SERVING],
    ["loading on demand", view({ state: "loading" }), ready, SERVING],
    ["loading at start", view({ state: "loading", startupLoading: true }), ready, NOT_SERVING],
    ["failed", view({ state: "failed" }), ready, NOT_SERVING],
    ["no worker can run", view({ workersAvailable: false }), ready, NOT_SERVING],
    ["server not ready", view({}), { ready: false, draining: false }, NOT_SERVING],
    ["draining", view({}), { ready: true, draining: true }, NOT_SERVING],
  ])("a model %s", (_what, model, phase, status) => {
    expect(modelStatus(model, phase)).toBe(status);
  });

  it.each([
    ["default loaded", view({}), ready, SERVING],
    ["default unloaded after start", view({ state: "unloaded" }), ready, SERVING],
    ["default failed a later load", view({ state: "failed" }), ready, SERVING],
    ["default's workers down", view({ workersAvailable: false }), ready, NOT_SERVING],
    ["not ready", view({}), { ready: false, draining: false }, NOT_SERVING],
    ["draining", view({}), { ready: true, draining: true }, NOT_SERVING],
  ])("the server with %s", (_what, model, phase, status) => {
    expect(serverStatus(model, phase)).toBe(status);
  });
});
