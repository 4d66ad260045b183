/**
 * Supervision of the inference worker threads: a worker that dies is replaced after an
 * exponential backoff (a replacement that cannot start, e.g. because the model files went away,
 * is retried ever more slowly instead of in a tight loop), and every change of "can any worker
 * take calls" is told to availability listeners (the server's health). What the workers are
 * asked to do is call-relay.ts.
 */
import type { Worker } from "node:worker_threads";
import type { ModelInfo } from "../../core/model-info.js";
import type { EngineAvailability } from "../engine.js";
import { FlorenceError } from "../errors.js";
import type { HostToWorker, WorkerToHost } from "./protocol.js";
import { spawnThread } from "./spawn.js";
import type { WorkerInit } from "./worker-main.js";

/**
 * One worker position. "ready": takes calls; "starting": a replacement is loading the model;
 * "backoff": waiting before the next start attempt (no thread).
 */
export interface WorkerSlot {
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
  /**
   * Starts an image preprocessing thread (preprocess-pool.ts replaces one that dies on its next
   * call). Default `spawnPreprocessThread`; fault-injection tests wrap it too.
   */
  readonly spawnPreprocess: () => Worker;
}

export const DEFAULT_SUPERVISION: Readonly<SupervisionOptions> = Object.freeze({
  initialBackoffMs: 100,
  maxBackoffMs: 30_000,
  stableAfterMs: 60_000,
  spawn: spawnWorker,
  spawnPreprocess: spawnPreprocessThread,
});

/** How long a closing worker may take to exit after its close message before it is terminated. */
const CLOSE_GRACE_MS = 5_000;

/** What the pool tells the call relay about its workers. */
export interface WorkerEvents {
  /** A message from a ready worker. */
  readonly onMessage: (slot: WorkerSlot, message: WorkerToHost) => void;
  /** A ready worker exited unexpectedly: the calls it was running will never be answered. */
  readonly onExit: (slot: WorkerSlot, code: number) => void;
}

/** The wait before the next start attempt after `failures` consecutive failures (0 = the first). */
export function backoffDelay(
  failures: number,
  options: Pick<SupervisionOptions, "initialBackoffMs" | "maxBackoffMs">,
): number {
  return Math.min(options.maxBackoffMs, options.initialBackoffMs * 2 ** Math.min(failures, 30));
}

/** Spawns the inference worker entry (spawn.ts). */
export function spawnWorker(init: WorkerInit): Worker {
  return spawnThread("worker-main", init);
}

/** Spawns an image preprocessing thread (spawn.ts). */
export function spawnPreprocessThread(): Worker {
  return spawnThread("preprocess-main", {});
}

/** The model info a new worker reports once its model has loaded; rejects when it cannot start. */
function waitReady(worker: Worker): Promise<ModelInfo> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: WorkerToHost): void => {
      if (m.type === "ready") {
        cleanup();
        resolve(m.info);
      } else if (m.type === "init_error") {
        cleanup();
        reject(FlorenceError.fromWire(m.error));
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

export class WorkerPool {
  readonly #init: WorkerInit;
  readonly #sup: SupervisionOptions;
  readonly #events: WorkerEvents;
  readonly #slots: WorkerSlot[] = [];
  readonly #listeners = new Set<(availability: EngineAvailability) => void>();
  #available = true;
  #closed = false;
  /** Replacement workers started, failed starts included. */
  restarts = 0;

  private constructor(init: WorkerInit, sup: SupervisionOptions, events: WorkerEvents) {
    this.#init = init;
    this.#sup = sup;
    this.#events = events;
  }

  /** Starts `count` workers (at least one) and waits until every one has loaded the model. */
  static async start(
    init: WorkerInit,
    count: number,
    supervision: Partial<SupervisionOptions>,
    events: WorkerEvents,
  ): Promise<{ pool: WorkerPool; info: ModelInfo }> {
    const pool = new WorkerPool(init, { ...DEFAULT_SUPERVISION, ...supervision }, events);
    const workers = Array.from({ length: Math.max(1, count) }, () => pool.#sup.spawn(init));
    let info: ModelInfo;
    try {
      const infos = await Promise.all(workers.map(waitReady));
      info = infos[0]!;
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    for (const worker of workers) {
      const slot: WorkerSlot = {
        worker,
        state: "ready",
        inFlight: 0,
        failures: 0,
        readyAt: performance.now(),
        lastError: undefined,
        timer: undefined,
      };
      pool.#slots.push(slot);
      pool.#attach(slot, worker);
    }
    return { pool, info };
  }

  /** The workers that take calls now. */
  ready(): WorkerSlot[] {
    return this.#slots.filter((s) => s.state === "ready");
  }

  /** The ready worker with the fewest calls in flight. */
  leastBusy(): WorkerSlot | undefined {
    return this.ready().reduce<WorkerSlot | undefined>(
      (best, s) => (best === undefined || s.inFlight < best.inFlight ? s : best),
      undefined,
    );
  }

  onAvailabilityChange(listener: (availability: EngineAvailability) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops every worker: ready ones are asked to close (then terminated after a grace period), the rest terminated. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    await Promise.all(
      this.#slots.map(async (slot) => {
        clearTimeout(slot.timer);
        const worker = slot.worker;
        if (worker === undefined) return;
        const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
        // A replacement still loading reads no messages: it is stopped outright.
        if (slot.state === "ready") worker.postMessage({ type: "close" } satisfies HostToWorker);
        else void worker.terminate();
        const timer = setTimeout(() => void worker.terminate(), CLOSE_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  #updateAvailability(cause?: unknown): void {
    const now = this.ready().length > 0;
    if (now === this.#available || this.#closed) return;
    this.#available = now;
    const availability: EngineAvailability = now ? { available: now } : { available: now, cause };
    for (const listener of this.#listeners) listener(availability);
  }

  #attach(slot: WorkerSlot, worker: Worker): void {
    worker.on("message", (m: WorkerToHost) => this.#events.onMessage(slot, m));
    // Without a listener, a worker's uncaught exception would be rethrown on the main thread and
    // take the whole server down; it is kept as the cause of the exit that follows.
    worker.on("error", (e) => {
      if (slot.worker === worker) slot.lastError = e;
    });
    worker.on("exit", (code) => {
      if (this.#closed || slot.worker !== worker) return;
      // The worker died (out of memory, native crash): fail its calls, replace it after a backoff.
      this.#events.onExit(slot, code);
      slot.inFlight = 0;
      slot.worker = undefined;
      if (performance.now() - slot.readyAt >= this.#sup.stableAfterMs) slot.failures = 0;
      const cause = slot.lastError ?? new Error(`the inference worker exited with code ${code}`);
      slot.lastError = undefined;
      this.#scheduleRestart(slot, cause);
    });
  }

  #scheduleRestart(slot: WorkerSlot, cause: unknown): void {
    slot.state = "backoff";
    const delay = backoffDelay(slot.failures, this.#sup);
    slot.failures++;
    slot.timer = setTimeout(() => this.#restart(slot), delay);
    this.#updateAvailability(cause);
  }

  #restart(slot: WorkerSlot): void {
    slot.timer = undefined;
    if (this.#closed) return;
    this.restarts++;
    slot.state = "starting";
    let worker: Worker;
    try {
      worker = this.#sup.spawn(this.#init);
    } catch (e) {
      this.#scheduleRestart(slot, e);
      return;
    }
    slot.worker = worker;
    waitReady(worker).then(
      () => {
        if (this.#closed) {
          void worker.terminate();
          return;
        }
        slot.state = "ready";
        slot.readyAt = performance.now();
        this.#attach(slot, worker);
        this.#updateAvailability();
      },
      (e: unknown) => {
        void worker.terminate();
        if (this.#closed) return;
        slot.worker = undefined;
        this.#scheduleRestart(slot, e);
      },
    );
  }
}
