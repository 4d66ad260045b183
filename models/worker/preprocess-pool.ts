/**
 * Main-thread side of the image preprocessing threads (preprocess-main.ts). A call's images are
 * decoded and resized here while the inference worker is busy with earlier batches, so the call
 * reaches the worker's scheduler ready: the worker no longer spends 50-100 ms per image of
 * synchronous resizing before it can start the next batch.
 *
 * Threads start on first use. One that dies fails only the calls it held (with `internal`) and is
 * replaced on the next call; a call whose caller gives up is answered `cancelled` at once and its
 * images are skipped if not started.
 */
import type { Worker } from "node:worker_threads";
import { FlorenceError } from "../errors.js";
import type { ImageLimits, ImageSize } from "../image/index.js";
import type { ImageInput } from "../inputs.js";
import { wirePreparationFailure } from "./prepared-wire.js";
import type { HostToPreprocess, PreprocessToHost, WirePreparedImages } from "./protocol.js";

/** What every call's images are prepared for: the model input size and the limits on untrusted images. */
export interface PreprocessTarget {
  readonly size: ImageSize;
  readonly limits: ImageLimits;
}

interface PreprocessThread {
  readonly worker: Worker;
  /** Calls sent and not yet answered, by id. */
  readonly pending: Map<number, (images: WirePreparedImages) => void>;
}

export class PreprocessPool {
  readonly #threads: (PreprocessThread | undefined)[];
  #nextId = 1;
  #closed = false;

  /** `threads` >= 1; `spawn` starts one thread (supervision.ts's spawnPreprocessThread, or a test's wrapper). */
  constructor(
    threads: number,
    private readonly target: PreprocessTarget,
    private readonly spawn: () => Worker,
  ) {
    this.#threads = Array.from({ length: threads }, () => undefined);
  }

  /** The images of one call, prepared on the least busy thread. Never rejects: a failure is `ok: false`. */
  prepare(images: readonly ImageInput[], signal?: AbortSignal): Promise<WirePreparedImages> {
    if (this.#closed) return Promise.resolve(wirePreparationFailure(closedError()));
    if (signal?.aborted) return Promise.resolve(wirePreparationFailure(cancelledError()));
    const thread = this.#leastBusy();
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const onAbort = (): void => {
        if (!thread.pending.delete(id)) return;
        thread.worker.postMessage({ type: "drop", id } satisfies HostToPreprocess);
        resolve(wirePreparationFailure(cancelledError()));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      thread.pending.set(id, (answer) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(answer);
      });
      const message: HostToPreprocess = { type: "prepare", id, images, ...this.target };
      thread.worker.postMessage(message);
    });
  }

  /** Stops the threads; calls still being prepared are answered `unavailable`. */
  async close(): Promise<void> {
    this.#closed = true;
    const running = this.#threads.filter((t): t is PreprocessThread => t !== undefined);
    this.#threads.fill(undefined);
    for (const thread of running) this.#failAll(thread, closedError());
    await Promise.all(running.map((t) => t.worker.terminate()));
  }

  /** The thread with the fewest calls; an unstarted one counts as idle and is started. */
  #leastBusy(): PreprocessThread {
    const load = (i: number): number => this.#threads[i]?.pending.size ?? 0;
    let best = 0;
    for (let i = 1; i < this.#threads.length; i++) if (load(i) < load(best)) best = i;
    return this.#threads[best] ?? this.#start(best);
  }

  #start(index: number): PreprocessThread {
    const thread: PreprocessThread = { worker: this.spawn(), pending: new Map() };
    this.#threads[index] = thread;
    thread.worker.on("message", (m: PreprocessToHost) => {
      const answer = thread.pending.get(m.id);
      thread.pending.delete(m.id);
      answer?.(m.images);
    });
    thread.worker.on("error", () => {}); // the exit that follows fails its calls
    thread.worker.on("exit", (code) => {
      if (this.#threads[index] === thread) this.#threads[index] = undefined;
      this.#failAll(
        thread,
        new FlorenceError(
          "internal",
          `the image preprocessing thread stopped unexpectedly (code ${code}); the request was not completed, retry it`,
        ),
      );
    });
    return thread;
  }

  #failAll(thread: PreprocessThread, error: FlorenceError): void {
    const answers = [...thread.pending.values()];
    thread.pending.clear();
    for (const answer of answers) answer(wirePreparationFailure(error));
  }
}

function cancelledError(): FlorenceError {
  return new FlorenceError("cancelled", "the request was cancelled");
}

function closedError(): FlorenceError {
  return new FlorenceError("unavailable", "the engine is shutting down");
}
