/**
 * Main-thread side of the inference workers: implements FlorenceEngine by sending each call to a
 * worker thread and relaying tokens, results, errors and cancellation.
 *
 * Supervision: a worker that dies fails only the calls it was running and is replaced after an
 * exponential backoff (a replacement that cannot start, e.g. because the model files went away,
 * is retried ever more slowly instead of in a tight loop). While no worker can take calls, calls
 * fail at once with `unavailable` and availability listeners (the server's health) are told.
 */
import { Worker } from "node:worker_threads";
import { pickDecodingParams } from "../../core/decoding.js";
import type { ImageInput, TaskRequest } from "../../core/inputs.js";
import type { ModelInfo } from "../../core/model-info.js";
import type { TaskResult } from "../../core/results.js";
import type { EngineAvailability, EngineStats, FlorenceEngine } from "../engine.js";
import { callbackError, FlorenceError } from "../errors.js";
import type { CallOptions, GenerationOptions } from "../inputs.js";
import type { HostToWorker, WorkerToHost } from "./protocol.js";
import type { WorkerInit } from "./worker-main.js";

interface PendingStats {
  readonly resolve: (stats: EngineStats | undefined) => void;
  readonly slot: WorkerSlot;
}

interface PendingCall {
  readonly resolve: (results: TaskResult[]) => void;
  readonly reject: (error: FlorenceError) => void;
  readonly onToken: CallOptions["onToken"];
  readonly onTimings: CallOptions["onTimings"];
  /** performance.now() when the run message was posted. */
  readonly sentAt: number;
  readonly slot: WorkerSlot;
}

/**
 * One worker position. "ready": takes calls; "starting": a replacement is loading the model;
 * "backoff": waiting before the next start attempt (no thread).
 */
interface WorkerSlot {
  worker: Worker | undefined;
  state: "ready" | "starting" | "backoff";
  inFlight: number;
  /** Consecutive deaths and failed starts since the slot last ran for `stableAfterMs`. */
  failures: number;
  /** performance.now() when the current worker became ready. */
  readyAt: number;
  /** The last 'error' event of the current worker: the likely cause of its exit. */
  lastError: Error | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** How dead workers are replaced. */
export interface SupervisionOptions {
  /** Delay before the first attempt to replace a dead worker, in ms. Default 100. */
  readonly initialBackoffMs: number;
  /** The delay doubles with each consecutive failure up to this, in ms. Default 30 000. */
  readonly maxBackoffMs: number;
  /**
   * A worker that ran at least this long before it died counts as healthy: its replacement starts
   * after `initialBackoffMs` again. Default 60 000 ms.
   */
  readonly stableAfterMs: number;
  /** Starts a worker thread. Default `spawnWorker`; fault-injection tests wrap it to reach the threads. */
  readonly spawn: (init: WorkerInit) => Worker;
}

export const DEFAULT_SUPERVISION: Readonly<SupervisionOptions> = Object.freeze({
  initialBackoffMs: 100,
  maxBackoffMs: 30_000,
  stableAfterMs: 60_000,
  spawn: spawnWorker,
});

/** The wait before the next start attempt after `failures` consecutive failures (0 = the first). */
export function backoffDelay(failures: number, options: Pick<SupervisionOptions, "initialBackoffMs" | "maxBackoffMs">): number {
  return Math.min(options.maxBackoffMs, options.initialBackoffMs * 2 ** Math.min(failures, 30));
}

/** Spawns the worker entry, from dist/ (compiled .js) or from source through tsx in tests. */
export function spawnWorker(init: WorkerInit): Worker {
  const here = import.meta.url;
  if (here.endsWith(".ts")) {
    const entry = new URL("./worker-main.ts", here).href;
    return new Worker(new URL("./worker-bootstrap.mjs", here), { workerData: { ...init, entry } });
  }
  return new Worker(new URL("./worker-main.js", here), { workerData: init });
}

function waitReady(worker: Worker): Promise<ModelInfo> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: WorkerToHost): void => {
      if (m.type === "ready") {
        cleanup();
        resolve(m.info);
      } else if (m.type === "init_error") {
        cleanup();
        reject(FlorenceError.fromJSON(m.error));
      }
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(new FlorenceError("internal", "the inference worker failed to start", { cause: e }));
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new FlorenceError("internal", `the inference worker exited (code ${code}) before it was ready`));
    };
    const cleanup = (): void => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
    };
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
  });
}

/** The work of a run message: which requests on which images. */
type RunWork = Pick<Extract<HostToWorker, { type: "run" }>, "mode" | "requests" | "images">;

/** Adds the workers' counters; the largest batch is the largest of any worker. */
export function sumStats(all: readonly EngineStats[]): EngineStats {
  const add = (pick: (s: EngineStats) => number): number => all.reduce((sum, s) => sum + pick(s), 0);
  return {
    batches: add((s) => s.batches),
    batchedItems: add((s) => s.batchedItems),
    largestBatch: Math.max(0, ...all.map((s) => s.largestBatch)),
    queuedItems: add((s) => s.queuedItems),
    decoderSteps: add((s) => s.decoderSteps),
    decoderRows: add((s) => s.decoderRows),
    visionImages: add((s) => s.visionImages),
    visionCache: {
      hits: add((s) => s.visionCache.hits),
      misses: add((s) => s.visionCache.misses),
      evictions: add((s) => s.visionCache.evictions),
      entries: add((s) => s.visionCache.entries),
      bytes: add((s) => s.visionCache.bytes),
      maxBytes: add((s) => s.visionCache.maxBytes),
    },
  };
}

export async function createWorkerEngine(
  init: WorkerInit,
  workerCount: number,
  supervision: Partial<SupervisionOptions> = {},
): Promise<FlorenceEngine> {
  const sup: SupervisionOptions = { ...DEFAULT_SUPERVISION, ...supervision };
  const pending = new Map<number, PendingCall>();
  const pendingStats = new Map<number, PendingStats>();
  const slots: WorkerSlot[] = [];
  const listeners = new Set<(availability: EngineAvailability) => void>();
  let nextId = 1;
  let closed = false;
  let restarts = 0;
  let available = true;

  const readySlots = (): WorkerSlot[] => slots.filter((s) => s.state === "ready");

  const updateAvailability = (cause?: unknown): void => {
    const now = readySlots().length > 0;
    if (now === available || closed) return;
    available = now;
    const availability: EngineAvailability = now ? { available } : { available, cause };
    for (const listener of listeners) listener(availability);
  };

  const attach = (slot: WorkerSlot, worker: Worker): void => {
    worker.on("message", (m: WorkerToHost) => {
      if (m.type === "stats") {
        pendingStats.get(m.id)?.resolve(m.stats);
        pendingStats.delete(m.id);
      } else if (m.type === "token") {
        pending.get(m.id)?.onToken?.({ id: m.tokenId, text: m.text, imageIndex: m.imageIndex });
      } else if (m.type === "result" || m.type === "error") {
        const call = pending.get(m.id);
        if (call === undefined) return;
        pending.delete(m.id);
        call.slot.inFlight--;
        if (m.type === "error") {
          call.reject(FlorenceError.fromJSON(m.error));
          return;
        }
        if (m.timings !== undefined) {
          // The worker's event loop is blocked while a batch runs: the run message waited in its
          // port until then. That wait is queue time the worker cannot see.
          const unseen = Math.max(0, performance.now() - call.sentAt - m.timings.workerMs);
          try {
            call.onTimings?.({ ...m.timings.run, queueMs: m.timings.run.queueMs + unseen });
          } catch (e) {
            call.reject(callbackError("onTimings", e));
            return;
          }
        }
        call.resolve(m.results);
      }
    });
    // Without a listener, a worker's uncaught exception would be rethrown on the main thread and
    // take the whole server down; it is kept as the cause of the exit that follows.
    worker.on("error", (e) => {
      if (slot.worker === worker) slot.lastError = e;
    });
    worker.on("exit", (code) => {
      if (closed || slot.worker !== worker) return;
      // The worker died (out of memory, native crash): fail its calls, replace it after a backoff.
      for (const [id, call] of pending) {
        if (call.slot !== slot) continue;
        pending.delete(id);
        call.reject(new FlorenceError("internal", `the inference worker exited unexpectedly (code ${code}); the request was not completed`));
      }
      for (const [id, p] of pendingStats) {
        if (p.slot !== slot) continue;
        pendingStats.delete(id);
        p.resolve(undefined);
      }
      slot.inFlight = 0;
      slot.worker = undefined;
      if (performance.now() - slot.readyAt >= sup.stableAfterMs) slot.failures = 0;
      const cause = slot.lastError ?? new Error(`the inference worker exited with code ${code}`);
      slot.lastError = undefined;
      scheduleRestart(slot, cause);
    });
  };

  const scheduleRestart = (slot: WorkerSlot, cause: unknown): void => {
    slot.state = "backoff";
    const delay = backoffDelay(slot.failures, sup);
    slot.failures++;
    slot.timer = setTimeout(() => restart(slot), delay);
    updateAvailability(cause);
  };

  const restart = (slot: WorkerSlot): void => {
    slot.timer = undefined;
    if (closed) return;
    restarts++;
    slot.state = "starting";
    let worker: Worker;
    try {
      worker = sup.spawn(init);
    } catch (e) {
      scheduleRestart(slot, e);
      return;
    }
    slot.worker = worker;
    waitReady(worker).then(
      () => {
        if (closed) {
          void worker.terminate();
          return;
        }
        slot.state = "ready";
        slot.readyAt = performance.now();
        attach(slot, worker);
        updateAvailability();
      },
      (e: unknown) => {
        void worker.terminate();
        if (closed) return;
        slot.worker = undefined;
        scheduleRestart(slot, e);
      },
    );
  };

  const workers = Array.from({ length: Math.max(1, workerCount) }, () => sup.spawn(init));
  let info: ModelInfo;
  try {
    const infos = await Promise.all(workers.map(waitReady));
    info = infos[0]!;
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  for (const worker of workers) {
    const slot: WorkerSlot = { worker, state: "ready", inFlight: 0, failures: 0, readyAt: performance.now(), lastError: undefined, timer: undefined };
    slots.push(slot);
    attach(slot, worker);
  }

  /** Sends a call to the least busy worker: its decoding parameters go as data, its signal and callbacks stay here. */
  const call = (work: RunWork, options: GenerationOptions): Promise<TaskResult[]> => {
    if (closed) return Promise.reject(new FlorenceError("unavailable", "the engine is closed"));
    if (options.signal?.aborted) return Promise.reject(new FlorenceError("cancelled", "the request was cancelled before it started"));
    const ready = readySlots();
    const slot = ready.reduce<WorkerSlot | undefined>((best, s) => (best === undefined || s.inFlight < best.inFlight ? s : best), undefined);
    if (slot === undefined || slot.worker === undefined) {
      return Promise.reject(
        new FlorenceError(
          "unavailable",
          "no inference worker can run the model right now: a worker exited and its replacement has not started yet (it is retried with backoff); retry later",
        ),
      );
    }
    const worker = slot.worker;
    const id = nextId++;
    const cancelFlag = new SharedArrayBuffer(4);
    return new Promise<TaskResult[]>((resolve, reject) => {
      const onAbort = (): void => {
        Atomics.store(new Int32Array(cancelFlag), 0, 1); // seen by a running batch between steps
        worker.postMessage({ type: "cancel", id } satisfies HostToWorker); // seen by a queued call
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      const done = (): void => options.signal?.removeEventListener("abort", onAbort);
      pending.set(id, {
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        onToken: options.onToken,
        onTimings: options.onTimings,
        sentAt: performance.now(),
        slot,
      });
      slot.inFlight++;
      const run: HostToWorker = {
        ...work,
        type: "run",
        id,
        params: pickDecodingParams(options),
        lane: options.lane,
        streamTokens: options.onToken !== undefined,
        reportTimings: options.onTimings !== undefined,
        cancelFlag,
      };
      worker.postMessage(run);
    });
  };

  return {
    info,
    run(request: TaskRequest, images: readonly ImageInput[], options: GenerationOptions = {}) {
      return call({ mode: "per_image", requests: [request], images }, options);
    },
    runTasks(requests: readonly TaskRequest[], image: ImageInput, options: GenerationOptions = {}) {
      return call({ mode: "multi_task", requests, images: [image] }, options);
    },
    async stats() {
      // Only ready workers answer: a starting one reads no messages until its model has loaded.
      const all = await Promise.all(
        readySlots().map(
          (slot) =>
            new Promise<EngineStats | undefined>((resolve) => {
              const id = nextId++;
              pendingStats.set(id, { resolve, slot });
              slot.worker?.postMessage({ type: "stats", id } satisfies HostToWorker);
            }),
        ),
      );
      const summed = sumStats(all.filter((s): s is EngineStats => s !== undefined));
      return { ...summed, workerRestarts: restarts, workersAvailable: readySlots().length };
    },
    onAvailabilityChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      for (const [id, p] of pendingStats) {
        pendingStats.delete(id);
        p.resolve(undefined);
      }
      for (const [id, p] of pending) {
        pending.delete(id);
        p.reject(new FlorenceError("unavailable", "the engine is shutting down"));
      }
      await Promise.all(
        slots.map(async (slot) => {
          clearTimeout(slot.timer);
          const worker = slot.worker;
          if (worker === undefined) return;
          const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
          // A replacement still loading reads no messages: it is stopped outright.
          if (slot.state === "ready") worker.postMessage({ type: "close" } satisfies HostToWorker);
          else void worker.terminate();
          const timer = setTimeout(() => void worker.terminate(), 5_000);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
