/**
 * The models one server serves, by name. Each loaded model is its own FlorenceEngine (its own
 * workers, vision-feature cache and batching); this file decides when each is loaded and unloaded.
 *
 * - A model loads at start (preload), on the first request for it, or on LoadModel. Requests that
 *   arrive while it loads share that one load and wait for it, each bounded by its own signal
 *   (deadline); the load itself goes on for the others. Exception: while a start-up load runs,
 *   requests for that model get UNAVAILABLE at once, as health says NOT_SERVING for it meanwhile.
 * - A failed load leaves the model `failed` with its error (loadFailure: the model's name and the
 *   reason, no filesystem path); the next request or LoadModel tries again (the failure is not
 *   remembered as an answer).
 * - The budget (most models loaded, most bytes loaded) is kept by unloading the least recently
 *   used IDLE model, never one with calls or streams using it. When every other loaded model is
 *   busy the new one loads anyway, and the excess is unloaded as soon as one of them goes idle:
 *   waiting instead could deadlock two streams that each pin a model.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { EngineAvailability, FlorenceEngine } from "../models/engine.js";
import { FlorenceError, toFlorenceError } from "../models/errors.js";
import { withoutPaths } from "./hide-paths.js";
import {
  type ModelBudget,
  type ModelLease,
  type ModelSource,
  type ModelState,
  type ModelView,
  modelNameProblem,
} from "./model-types.js";

export type { ModelBudget, ModelLease, ModelSource, ModelState, ModelView } from "./model-types.js";
export { modelNameProblem } from "./model-types.js";

class Entry {
  state: ModelState = "unloaded";
  engine: FlorenceEngine | undefined;
  loading: Promise<FlorenceEngine> | undefined;
  startupLoad = false;
  error: FlorenceError | undefined;
  inUse = 0;
  lastUsed = 0;
  loads = 0;
  unloads = 0;
  bytes = 0;
  workersAvailable = true;
  unavailableCause: unknown;
  loadSeconds: number | undefined;
  unsubscribe: (() => void) | undefined;
  constructor(readonly source: ModelSource) {}
}

export class ModelRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #budget: ModelBudget;
  readonly #listeners = new Set<(name: string) => void>();
  readonly #defaultName: string;
  #useClock = 0;
  #closed = false;

  /** `defaultName` must be one of the sources' names; default: the first source. */
  constructor(sources: readonly ModelSource[], budget: ModelBudget, defaultName?: string) {
    if (sources.length === 0) throw new Error("a server needs at least one model");
    for (const source of sources) {
      const problem = modelNameProblem(source.name);
      if (problem !== undefined) throw new Error(problem);
      if (this.#entries.has(source.name)) throw new Error(`model name ${JSON.stringify(source.name)} is given twice`);
      this.#entries.set(source.name, new Entry(source));
    }
    const chosen = defaultName ?? sources[0]!.name;
    if (!this.#entries.has(chosen)) {
      const names = sources.map((s) => s.name).join(", ");
      throw new Error(`the default model ${JSON.stringify(chosen)} is not one of the models: ${names}`);
    }
    this.#defaultName = chosen;
    this.#budget = budget;
  }

  /** Every configured name, the default first. */
  get names(): string[] {
    const rest = [...this.#entries.keys()].filter((n) => n !== this.#defaultName);
    return [this.#defaultName, ...rest];
  }

  get defaultName(): string {
    return this.#defaultName;
  }

  /** The name a request's `model` field means: "" or undefined is the default; unknown is NOT_FOUND. */
  resolve(model: string | undefined): string {
    if (model === undefined || model === "") return this.#defaultName;
    if (this.#entries.has(model)) return model;
    throw new ConnectError(
      `no model ${JSON.stringify(model)} on this server; it has: ${this.names.join(", ")} (leave model unset for ${this.#defaultName})`,
      Code.NotFound,
    );
  }

  /** The model's engine when it is loaded now, without loading it. */
  peek(model?: string): FlorenceEngine | undefined {
    return this.#entries.get(model === undefined || model === "" ? this.#defaultName : model)?.engine;
  }

  view(model: string): ModelView {
    const e = this.#entry(model);
    return {
      name: model,
      state: e.state,
      isDefault: model === this.#defaultName,
      engine: e.engine,
      loadError: e.error,
      loads: e.loads,
      unloads: e.unloads,
      inUse: e.inUse,
      workersAvailable: e.workersAvailable,
      startupLoading: e.state === "loading" && e.startupLoad,
      unavailableCause: e.unavailableCause,
    };
  }

  views(): ModelView[] {
    return this.names.map((name) => this.view(name));
  }

  /** Seconds the model's last load took; undefined before one has ended. */
  loadSeconds(model: string): number | undefined {
    return this.#entry(model).loadSeconds;
  }

  /** Calls `listener` with a model's name whenever its state or availability changes. */
  onChange(listener: (name: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Starts a start-up load: requests for the model get UNAVAILABLE until it ends (see the file
   * comment). Resolves the engine, or undefined when the load failed (see view().loadError).
   */
  preload(model: string): Promise<FlorenceEngine | undefined> {
    const entry = this.#entry(model);
    if (entry.engine === undefined && entry.loading === undefined) entry.startupLoad = true;
    return this.#ensureLoaded(model, entry).then(
      (engine) => engine,
      () => undefined,
    );
  }

  /**
   * Holds `model` (resolved with `resolve`) for one call, loading it when needed. Waits for the
   * load until `signal` aborts; rejects with the load's error when it fails.
   */
  async acquire(model: string | undefined, signal?: AbortSignal): Promise<ModelLease> {
    const name = this.resolve(model);
    const entry = this.#entry(name);
    if (entry.state === "loading" && entry.startupLoad) {
      throw new FlorenceError(
        "unavailable",
        `the model ${JSON.stringify(name)} is still loading; retry when grpc.health.v1.Health reports SERVING`,
      );
    }
    entry.inUse++;
    entry.lastUsed = ++this.#useClock;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      entry.inUse--;
      entry.lastUsed = ++this.#useClock;
      this.#keepBudget(undefined);
    };
    try {
      const engine = await untilAborted(this.#ensureLoaded(name, entry), signal);
      return { name, engine, release };
    } catch (e) {
      release();
      throw e;
    }
  }

  /** LoadModel: loads `model` now (waiting until `signal` aborts) and returns its view. */
  async load(model: string, signal?: AbortSignal): Promise<ModelView> {
    const lease = await this.acquire(this.resolve(model), signal);
    lease.release();
    return this.view(lease.name);
  }

  /** UnloadModel: refuses while the model is in use or loading; unloading an unloaded model is a no-op. */
  async unload(model: string): Promise<ModelView> {
    const name = this.resolve(model);
    const entry = this.#entry(name);
    if (entry.state === "loading") {
      throw new ConnectError(
        `the model ${JSON.stringify(name)} is loading; unload it once loaded`,
        Code.FailedPrecondition,
      );
    }
    if (entry.inUse > 0) {
      throw new ConnectError(
        `the model ${JSON.stringify(name)} is in use by ${entry.inUse} call(s) or stream(s); retry once they end`,
        Code.FailedPrecondition,
      );
    }
    if (entry.source.reloadable === false) {
      throw new ConnectError(
        `the model ${JSON.stringify(name)} was handed to the server as an engine and could not be loaded again; it stays loaded`,
        Code.FailedPrecondition,
      );
    }
    if (entry.state === "loaded") await this.#unload(name, entry);
    return this.view(name);
  }

  /**
   * Closes every loaded engine. Loads still running are waited for up to `loadWaitMs`; the
   * engines of loads that end later are closed then. Returns false when a load was still running.
   */
  async close(loadWaitMs: number): Promise<boolean> {
    this.#closed = true;
    const loads = [...this.#entries.values()].flatMap((e) => (e.loading === undefined ? [] : [e.loading]));
    let timer: NodeJS.Timeout | undefined;
    const settled = Promise.allSettled(loads).then(() => true);
    const finished = await Promise.race([
      settled,
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), loadWaitMs);
      }),
    ]);
    clearTimeout(timer);
    await Promise.all(
      [...this.#entries.values()].map(async (e) => {
        const engine = e.engine;
        e.unsubscribe?.();
        e.engine = undefined;
        await engine?.close();
      }),
    );
    return finished;
  }

  #entry(name: string): Entry {
    const entry = this.#entries.get(name);
    if (entry === undefined) return this.#entry(this.resolve(name));
    return entry;
  }

  #notify(name: string): void {
    for (const listener of this.#listeners) listener(name);
  }

  #ensureLoaded(name: string, entry: Entry): Promise<FlorenceEngine> {
    if (entry.engine !== undefined) return Promise.resolve(entry.engine);
    if (entry.loading !== undefined) return entry.loading;
    entry.state = "loading";
    entry.error = undefined;
    this.#keepBudget(name);
    this.#notify(name);
    const start = performance.now();
    entry.loading = entry.source.load().then(
      (engine) => this.#loaded(name, entry, engine, start),
      (e: unknown) => {
        entry.loading = undefined;
        entry.startupLoad = false;
        entry.state = "failed";
        entry.error = loadFailure(name, e);
        this.#notify(name);
        throw entry.error;
      },
    );
    return entry.loading;
  }

  #loaded(name: string, entry: Entry, engine: FlorenceEngine, start: number): FlorenceEngine {
    entry.loading = undefined;
    entry.startupLoad = false;
    if (this.#closed) {
      void engine.close();
      throw new FlorenceError("unavailable", "the server is shutting down");
    }
    entry.engine = engine;
    entry.state = "loaded";
    entry.loads++;
    entry.loadSeconds = (performance.now() - start) / 1000;
    entry.bytes = entry.source.sizeBytes?.(engine) ?? 0;
    entry.workersAvailable = true;
    entry.unsubscribe = engine.onAvailabilityChange?.((availability: EngineAvailability) => {
      entry.workersAvailable = availability.available;
      entry.unavailableCause = availability.cause;
      this.#notify(name);
    });
    this.#notify(name);
    this.#keepBudget(name);
    return engine;
  }

  async #unload(name: string, entry: Entry): Promise<void> {
    const engine = entry.engine;
    entry.unsubscribe?.();
    entry.unsubscribe = undefined;
    entry.engine = undefined;
    entry.state = "unloaded";
    entry.unloads++;
    this.#notify(name);
    await engine?.close();
  }

  /**
   * Unloads least recently used idle models until the budget holds, counting `coming` (a model
   * that is loading) as loaded. Never unloads `coming`, a model in use, or one that cannot reload.
   */
  #keepBudget(coming: string | undefined): void {
    const { maxLoaded, maxBytes } = this.#budget;
    if (maxLoaded === 0 && maxBytes === 0) return;
    const held = [...this.#entries].filter(([, e]) => e.state === "loaded" || e.state === "loading");
    let count = held.length;
    let bytes = held.reduce((sum, [, e]) => sum + e.bytes, 0);
    const candidates = held
      .filter(([n, e]) => n !== coming && e.state === "loaded" && e.inUse === 0 && e.source.reloadable !== false)
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [name, entry] of candidates) {
      const over = (maxLoaded > 0 && count > maxLoaded) || (maxBytes > 0 && bytes > maxBytes);
      if (!over) break;
      count--;
      bytes -= entry.bytes;
      void this.#unload(name, entry).catch(() => {});
    }
  }
}

/**
 * The error a failed load answers with (requests, LoadModel, ListModels): it names the model and
 * says why, without the filesystem paths the loader's message has (errors.ts: withoutPaths). The
 * loader's error stays its cause, which the server log writes in full.
 */
export function loadFailure(name: string, e: unknown): FlorenceError {
  const error = toFlorenceError(e);
  return new FlorenceError(
    error.kind,
    `model ${JSON.stringify(name)} could not be loaded: ${withoutPaths(error.message)}`,
    {
      cause: error,
      violations: error.violations,
    },
  );
}

/** `work`, or the signal's abort when it comes first (the work goes on for whoever else waits on it). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function abortError(signal: AbortSignal): FlorenceError {
  return new FlorenceError("cancelled", "stopped waiting for the model to load", { cause: signal.reason });
}
