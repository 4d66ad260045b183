/**
 * Main-thread side of the inference workers: implements FlorenceEngine by sending each call to a
 * worker thread and relaying tokens, results, errors and cancellation. A worker that dies is
 * replaced, and only the calls it was running fail.
 */
import { Worker } from "node:worker_threads";
import type { EngineStats, FlorenceEngine, ModelInfo, TaskRequest } from "../engine.js";
import { callbackError, FlorenceError } from "../errors.js";
import type { GenerationOptions, ImageInput } from "../inputs.js";
import type { TaskResult } from "../results.js";
import type { HostToWorker, WorkerGenerationOptions, WorkerToHost } from "./protocol.js";
import type { WorkerInit } from "./worker-main.js";

interface PendingStats {
  readonly resolve: (stats: EngineStats | undefined) => void;
}

interface PendingCall {
  readonly resolve: (results: TaskResult[]) => void;
  readonly reject: (error: FlorenceError) => void;
  readonly onToken: GenerationOptions["onToken"];
  readonly onTimings: GenerationOptions["onTimings"];
  /** performance.now() when the run message was posted. */
  readonly sentAt: number;
  readonly slot: WorkerSlot;
}

interface WorkerSlot {
  worker: Worker;
  inFlight: number;
}

/** Spawns the worker entry, from dist/ (compiled .js) or from source through tsx in tests. */
function spawnWorker(init: WorkerInit): Worker {
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
    const cleanup = (): void => {
      worker.off("message", onMessage);
      worker.off("error", onError);
    };
    worker.on("message", onMessage);
    worker.on("error", onError);
  });
}

function toWorkerOptions(options: GenerationOptions): WorkerGenerationOptions {
  const { signal: _signal, onToken: _onToken, onTimings: _onTimings, ...rest } = options;
  return rest;
}

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

export async function createWorkerEngine(init: WorkerInit, workerCount: number): Promise<FlorenceEngine> {
  const pending = new Map<number, PendingCall>();
  const pendingStats = new Map<number, PendingStats>();
  const slots: WorkerSlot[] = [];
  let nextId = 1;
  let closed = false;

  const attach = (slot: WorkerSlot): void => {
    slot.worker.on("message", (m: WorkerToHost) => {
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
    slot.worker.on("exit", (code) => {
      if (closed) return;
      // The worker died (out of memory, native crash): fail its calls, start a replacement.
      for (const [id, call] of pending) {
        if (call.slot !== slot) continue;
        pending.delete(id);
        call.reject(new FlorenceError("internal", `the inference worker exited unexpectedly (code ${code}); the request was not completed`));
      }
      slot.inFlight = 0;
      slot.worker = spawnWorker(init);
      attach(slot);
    });
  };

  const workers = Array.from({ length: Math.max(1, workerCount) }, () => spawnWorker(init));
  let info: ModelInfo;
  try {
    const infos = await Promise.all(workers.map(waitReady));
    info = infos[0]!;
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  for (const worker of workers) {
    const slot: WorkerSlot = { worker, inFlight: 0 };
    slots.push(slot);
    attach(slot);
  }

  const call = (message: Omit<Extract<HostToWorker, { type: "run" }>, "id" | "streamTokens" | "reportTimings" | "cancelFlag">, options: GenerationOptions): Promise<TaskResult[]> => {
    if (closed) return Promise.reject(new FlorenceError("unavailable", "the engine is closed"));
    if (options.signal?.aborted) return Promise.reject(new FlorenceError("cancelled", "the request was cancelled before it started"));
    const slot = slots.reduce((best, s) => (s.inFlight < best.inFlight ? s : best));
    const id = nextId++;
    const cancelFlag = new SharedArrayBuffer(4);
    return new Promise<TaskResult[]>((resolve, reject) => {
      const onAbort = (): void => {
        Atomics.store(new Int32Array(cancelFlag), 0, 1); // seen by a running batch between steps
        slot.worker.postMessage({ type: "cancel", id } satisfies HostToWorker); // seen by a queued call
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
      const run: HostToWorker = { ...message, type: "run", id, streamTokens: options.onToken !== undefined, reportTimings: options.onTimings !== undefined, cancelFlag };
      slot.worker.postMessage(run);
    });
  };

  return {
    info,
    run(request: TaskRequest, images: readonly ImageInput[], options: GenerationOptions = {}) {
      return call({ type: "run", mode: "per_image", requests: [request], images, options: toWorkerOptions(options) }, options);
    },
    runTasks(requests: readonly TaskRequest[], image: ImageInput, options: GenerationOptions = {}) {
      return call({ type: "run", mode: "multi_task", requests, images: [image], options: toWorkerOptions(options) }, options);
    },
    async stats() {
      const all = await Promise.all(
        slots.map(
          (slot) =>
            new Promise<EngineStats | undefined>((resolve) => {
              const id = nextId++;
              pendingStats.set(id, { resolve });
              slot.worker.postMessage({ type: "stats", id } satisfies HostToWorker);
            }),
        ),
      );
      return sumStats(all.filter((s): s is EngineStats => s !== undefined));
    },
    async close() {
      if (closed) return;
      closed = true;
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
          const exited = new Promise<void>((resolve) => slot.worker.once("exit", () => resolve()));
          slot.worker.postMessage({ type: "close" } satisfies HostToWorker);
          const timer = setTimeout(() => void slot.worker.terminate(), 5_000);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
