/**
 * Main-thread side of the inference workers: a FlorenceEngine whose calls run in worker threads.
 * Calls go to the least busy worker (call-relay.ts carries them there and back); workers that die
 * are replaced (supervision.ts). While no worker can take calls, calls fail at once with
 * `unavailable` and availability listeners (the server's health) are told.
 */
import type { ImageInput, TaskRequest } from "../../core/inputs.js";
import type { TaskResult } from "../../core/results.js";
import type { EngineStats, FlorenceEngine, ImageOutcome } from "../engine.js";
import { FlorenceError } from "../errors.js";
import type { GenerationOptions } from "../inputs.js";
import { CallRelay, type RunWork } from "./call-relay.js";
import { PreprocessPool } from "./preprocess-pool.js";
import { DEFAULT_SUPERVISION, type SupervisionOptions, WorkerPool } from "./supervision.js";
import type { WorkerInit } from "./worker-main.js";

/** Adds the workers' counters; the largest batch is the largest of any worker. */
function sumStats(all: readonly EngineStats[]): EngineStats {
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
    batchSizes: addCounts(all.map((s) => s.batchSizes ?? {})),
  };
}

/** Adds per-key counts (batch size -> batches) of several workers. */
function addCounts(all: readonly Readonly<Record<number, number>>[]): Record<number, number> {
  const sum: Record<number, number> = {};
  for (const counts of all) {
    for (const [key, n] of Object.entries(counts)) sum[Number(key)] = (sum[Number(key)] ?? 0) + n;
  }
  return sum;
}

/** The results of a run or runTasks call, which the worker answers without failures. */
function resultsOf(outcomes: readonly ImageOutcome[]): TaskResult[] {
  return outcomes.map((o) => {
    if (!o.ok) throw o.error; // unreachable: only each_image calls answer failures
    return o.result;
  });
}

export async function createWorkerEngine(
  init: WorkerInit,
  workerCount: number,
  supervision: Partial<SupervisionOptions> = {},
): Promise<FlorenceEngine> {
  // The preparer is created before the workers start, so the relay can use it; its threads start
  // on the first call, once the model's input size is known from the first ready worker.
  let preprocessing: PreprocessPool | undefined;
  const threads = init.options.preprocessWorkers;
  const relay = new CallRelay(threads > 0 ? (images, signal) => preprocessing!.prepare(images, signal) : undefined);
  const { pool, info } = await WorkerPool.start(init, workerCount, supervision, {
    onMessage: (_slot, m) => relay.onMessage(m),
    onExit: (slot, code) =>
      relay.failAll(
        slot,
        () =>
          new FlorenceError(
            "internal",
            `the inference worker exited unexpectedly (code ${code}); the request was not completed`,
          ),
      ),
  });
  const limits = { maxPixels: init.options.maxImagePixels, maxBytes: init.options.maxImageBytes };
  const spawnPreprocess = supervision.spawnPreprocess ?? DEFAULT_SUPERVISION.spawnPreprocess;
  if (threads > 0) preprocessing = new PreprocessPool(threads, { size: info.imageSize, limits }, spawnPreprocess);
  let closed = false;

  const call = (work: RunWork, options: GenerationOptions): Promise<ImageOutcome[]> => {
    if (closed) return Promise.reject(new FlorenceError("unavailable", "the engine is closed"));
    if (options.signal?.aborted)
      return Promise.reject(new FlorenceError("cancelled", "the request was cancelled before it started"));
    const slot = pool.leastBusy();
    if (slot === undefined || slot.worker === undefined) {
      return Promise.reject(
        new FlorenceError(
          "unavailable",
          "no inference worker can run the model right now: a worker exited and its replacement has not started yet (it is retried with backoff); retry later",
        ),
      );
    }
    return relay.send(slot, slot.worker, work, options);
  };

  return {
    info,
    async run(request: TaskRequest, images: readonly ImageInput[], options: GenerationOptions = {}) {
      return resultsOf(await call({ mode: "per_image", requests: [request], images }, options));
    },
    runEach(request: TaskRequest, images: readonly ImageInput[], options: GenerationOptions = {}) {
      return call({ mode: "each_image", requests: [request], images }, options);
    },
    async runTasks(requests: readonly TaskRequest[], image: ImageInput, options: GenerationOptions = {}) {
      return resultsOf(await call({ mode: "multi_task", requests, images: [image] }, options));
    },
    async stats() {
      // Only ready workers answer: a starting one reads no messages until its model has loaded.
      const all = await Promise.all(pool.ready().map((slot) => relay.stats(slot)));
      const summed = sumStats(all.filter((s): s is EngineStats => s !== undefined));
      return { ...summed, workerRestarts: pool.restarts, workersAvailable: pool.ready().length };
    },
    onAvailabilityChange(listener) {
      return pool.onAvailabilityChange(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      relay.failAll(undefined, () => new FlorenceError("unavailable", "the engine is shutting down"));
      await Promise.all([pool.close(), preprocessing?.close()]);
    },
  };
}
