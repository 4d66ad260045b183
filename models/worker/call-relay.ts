/**
 * The calls in flight to the inference workers: each call's decoding parameters go to a worker as
 * data, while its signal and callbacks stay on this thread; tokens, results, errors, timings and
 * stats come back as messages and are relayed to the caller. Cancellation reaches a queued call
 * as a message and a running batch through a shared flag (the worker's event loop is blocked
 * while a batch runs).
 */
import type { Worker } from "node:worker_threads";
import { pickDecodingParams } from "../../core/decoding.js";
import type { ImageInput, TaskRequest } from "../../core/inputs.js";
import type { RunTimings } from "../../core/timings.js";
import type { EngineStats, ImageOutcome } from "../engine.js";
import { callbackError, FlorenceError } from "../errors.js";
import type { CallOptions, GenerationOptions } from "../inputs.js";
import type { CallMode } from "../stages/validate.js";
import { transferablesOf } from "./prepared-wire.js";
import type { HostToWorker, WirePreparedImages, WorkerToHost } from "./protocol.js";
import type { WorkerSlot } from "./supervision.js";

interface PendingStats {
  readonly resolve: (stats: EngineStats | undefined) => void;
  readonly slot: WorkerSlot;
}

/** Prepares a call's images on another thread (preprocess-pool.ts); never rejects. */
export type ImagePreparer = (
  images: readonly ImageInput[],
  signal: AbortSignal | undefined,
) => Promise<WirePreparedImages>;

interface PendingCall {
  readonly resolve: (outcomes: ImageOutcome[]) => void;
  readonly reject: (error: FlorenceError) => void;
  readonly onToken: CallOptions["onToken"];
  readonly onText: CallOptions["onText"];
  readonly onTimings: CallOptions["onTimings"];
  /** performance.now() when the run message was posted. */
  readonly sentAt: number;
  readonly slot: WorkerSlot;
  /** How long the preparer took for this call's images, once it answered (undefined: the worker decoded them). */
  preprocessMs: number | undefined;
}

/** The work of a call: which requests on which images. */
export interface RunWork {
  readonly mode: CallMode;
  readonly requests: readonly TaskRequest[];
  readonly images: readonly ImageInput[];
}

/**
 * A call's timings as its caller sees them when another thread prepared its images: preprocessing
 * is the preparer's time (it may overlap the worker's earlier batches), and queue time is what is
 * left of the wall time after every stage.
 */
export function withHostPreprocessing(run: RunTimings, wallMs: number, preprocessMs: number): RunTimings {
  const stages = run.visionMs + run.encoderMs + run.decoderMs + run.postprocessMs;
  return { ...run, preprocessMs, queueMs: Math.max(0, wallMs - preprocessMs - stages) };
}

export class CallRelay {
  readonly #pending = new Map<number, PendingCall>();
  readonly #pendingStats = new Map<number, PendingStats>();
  #nextId = 1;

  /** With a preparer, images are decoded off the inference workers; without, each worker decodes its calls' images. */
  constructor(private readonly preparer?: ImagePreparer) {}

  /** Sends a call to `worker`, the current worker of `slot`; settles when the worker answers, fails or dies. */
  send(slot: WorkerSlot, worker: Worker, work: RunWork, options: GenerationOptions): Promise<ImageOutcome[]> {
    const id = this.#nextId++;
    const cancelFlag = new SharedArrayBuffer(4);
    return new Promise<ImageOutcome[]>((resolve, reject) => {
      // The preparer hears of an abort through this call's own signal, not the caller's: one caller
      // signal can be shared by many calls (a stream's frames), and each listener on it counts.
      const preparing = new AbortController();
      const onAbort = (): void => {
        preparing.abort();
        Atomics.store(new Int32Array(cancelFlag), 0, 1); // seen by a running batch between steps
        worker.postMessage({ type: "cancel", id } satisfies HostToWorker); // seen by a queued call
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      const done = (): void => options.signal?.removeEventListener("abort", onAbort);
      this.#pending.set(id, {
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        onToken: options.onToken,
        onText: options.onText,
        onTimings: options.onTimings,
        sentAt: performance.now(),
        slot,
        preprocessMs: undefined,
      });
      slot.inFlight++;
      const preparer = this.preparer;
      const run: HostToWorker = {
        type: "run",
        id,
        mode: work.mode,
        requests: work.requests,
        images:
          preparer === undefined
            ? { kind: "inputs", inputs: work.images }
            : { kind: "handed_over", count: work.images.length },
        params: pickDecodingParams(options),
        lane: options.lane,
        streamTokens: options.onToken !== undefined,
        streamText: options.onText === undefined ? undefined : { intervalMs: options.textIntervalMs },
        reportTimings: options.onTimings !== undefined,
        cancelFlag,
      };
      worker.postMessage(run);
      // Posted after the run message: the worker has announced the call's rows to its scheduler
      // before the images arrive, so a batch forming there waits for them.
      if (preparer !== undefined) void this.#handOver(id, worker, preparer(work.images, preparing.signal));
    });
  }

  async #handOver(id: number, worker: Worker, preparing: Promise<WirePreparedImages>): Promise<void> {
    const started = performance.now();
    const images = await preparing;
    const call = this.#pending.get(id);
    if (call === undefined) return; // answered already (cancelled, or its worker died)
    call.preprocessMs = performance.now() - started;
    worker.postMessage({ type: "images", id, images } satisfies HostToWorker, transferablesOf(images));
  }

  /** The counters of one worker; undefined when it dies or the engine closes before it answers. */
  stats(slot: WorkerSlot): Promise<EngineStats | undefined> {
    return new Promise((resolve) => {
      const id = this.#nextId++;
      this.#pendingStats.set(id, { resolve, slot });
      slot.worker?.postMessage({ type: "stats", id } satisfies HostToWorker);
    });
  }

  /** Relays one message of a worker to the call or stats request it answers. */
  onMessage(m: WorkerToHost): void {
    if (m.type === "stats") {
      this.#pendingStats.get(m.id)?.resolve(m.stats);
      this.#pendingStats.delete(m.id);
    } else if (m.type === "token") {
      this.#pending.get(m.id)?.onToken?.({ id: m.tokenId, text: m.text, imageIndex: m.imageIndex });
    } else if (m.type === "text") {
      this.#pending.get(m.id)?.onText?.({ imageIndex: m.imageIndex, text: m.text, tokens: m.tokens });
    } else if (m.type === "result" || m.type === "error") {
      const call = this.#pending.get(m.id);
      if (call === undefined) return;
      this.#pending.delete(m.id);
      call.slot.inFlight--;
      if (m.type === "error") {
        call.reject(FlorenceError.fromWire(m.error));
        return;
      }
      if (m.timings !== undefined) {
        // The worker's event loop is blocked while a batch runs: the run message waited in its
        // port until then. That wait is queue time the worker cannot see.
        const wallMs = performance.now() - call.sentAt;
        const unseen = Math.max(0, wallMs - m.timings.workerMs);
        const timings =
          call.preprocessMs === undefined
            ? { ...m.timings.run, queueMs: m.timings.run.queueMs + unseen }
            : withHostPreprocessing(m.timings.run, wallMs, call.preprocessMs);
        try {
          call.onTimings?.(timings);
        } catch (e) {
          call.reject(callbackError("onTimings", e));
          return;
        }
      }
      call.resolve(
        m.outcomes.map((o): ImageOutcome => (o.ok ? o : { ok: false, error: FlorenceError.fromWire(o.error) })),
      );
    }
  }

  /** Fails the calls (and answers the stats requests) of `slot`'s worker after it died; of every worker when `slot` is undefined (close). */
  failAll(slot: WorkerSlot | undefined, error: () => FlorenceError): void {
    for (const [id, p] of this.#pendingStats) {
      if (slot !== undefined && p.slot !== slot) continue;
      this.#pendingStats.delete(id);
      p.resolve(undefined);
    }
    for (const [id, call] of this.#pending) {
      if (slot !== undefined && call.slot !== slot) continue;
      this.#pending.delete(id);
      call.reject(error());
    }
  }
}
