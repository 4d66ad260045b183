/**
 * Entry of an inference worker thread: owns one in-thread engine (onnxruntime sessions) and
 * answers the host's messages. Everything that blocks runs here, never on the main thread.
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import type { RunTimings } from "../../core/timings.js";

import { toFlorenceError } from "../errors.js";
import type { CallOptions, GeneratedToken, TextSoFar } from "../inputs.js";
import { createLocalEngine, type LocalEngine, type LocalEngineOptions } from "../pipeline.js";
import { type CallImages, imagesFromInputs, type PreparedOutcome } from "../stages/images.js";
import { fromWirePrepared } from "./prepared-wire.js";
import type { HostToWorker, RunImages, WireOutcome, WirePreparedImages, WorkerToHost } from "./protocol.js";

export interface WorkerInit {
  /** Engine options with `model` already resolved to a local folder by the host. */
  readonly options: LocalEngineOptions;
}

if (parentPort === null) throw new Error("worker-main.ts must run in a worker thread");
const port: MessagePort = parentPort;

const post = (message: WorkerToHost): void => port.postMessage(message);
interface RunningCall {
  readonly controller: AbortController;
  readonly flag: Int32Array;
}

const running = new Map<number, RunningCall>();
/** Calls whose images the main thread is still preparing: how to hand them to the call. */
const handedOver = new Map<number, (images: WirePreparedImages) => void>();
let engine: LocalEngine | undefined;
const init = workerData as WorkerInit;

/**
 * A run's images: decoded by this call, or the ones the main thread's preprocessing thread sends
 * in an `images` message. The entry is made before the run awaits anything, so that message
 * (posted after the run message) always finds it.
 */
function callImages(id: number, images: RunImages): CallImages {
  if (images.kind === "inputs") {
    const limits = { maxPixels: init.options.maxImagePixels, maxBytes: init.options.maxImageBytes };
    return imagesFromInputs(images.inputs, { size: engine!.info.imageSize }, limits);
  }
  const arrived = new Promise<PreparedOutcome[]>((resolve, reject) => {
    handedOver.set(id, (wire) => {
      try {
        resolve(fromWirePrepared(wire));
      } catch (e) {
        reject(e);
      }
    });
  });
  // A call that fails before it reads its images (a bad argument) must not leave a rejection unhandled.
  arrived.catch(() => {});
  return { count: images.count, outcomes: () => arrived };
}

/** Runs between model passes, while the event loop is blocked: aborts calls the host cancelled. */
function pollCancellation(): void {
  for (const call of running.values()) {
    if (!call.controller.signal.aborted && Atomics.load(call.flag, 0) === 1) call.controller.abort();
  }
}

async function handle(message: HostToWorker): Promise<void> {
  switch (message.type) {
    case "images":
      handedOver.get(message.id)?.(message.images);
      handedOver.delete(message.id);
      return;
    case "cancel":
      running.get(message.id)?.controller.abort();
      return;
    case "stats":
      post({ type: "stats", id: message.id, stats: await engine?.stats() });
      return;
    case "close":
      for (const call of running.values()) call.controller.abort();
      await engine?.close();
      post({ type: "closed" });
      port.close(); // lets the thread exit
      return;
    case "run": {
      if (engine === undefined) throw new Error("run before ready");
      const controller = new AbortController();
      const received = performance.now();
      let timings: RunTimings | undefined;
      running.set(message.id, { controller, flag: new Int32Array(message.cancelFlag) });
      // The call options the host could not send (a signal, callbacks) are rebuilt here as messages.
      const call: CallOptions = {
        signal: controller.signal,
        ...(message.lane === undefined ? {} : { lane: message.lane }),
        ...(message.streamTokens
          ? {
              onToken: (t: GeneratedToken) =>
                post({ type: "token", id: message.id, imageIndex: t.imageIndex, tokenId: t.id, text: t.text }),
            }
          : {}),
        ...(message.streamText === undefined
          ? {}
          : {
              onText: (t: TextSoFar) =>
                post({ type: "text", id: message.id, imageIndex: t.imageIndex, text: t.text, tokens: t.tokens }),
              ...(message.streamText.intervalMs === undefined ? {} : { textIntervalMs: message.streamText.intervalMs }),
            }),
        ...(message.reportTimings
          ? {
              onTimings: (t: RunTimings) => {
                timings = t;
              },
            }
          : {}),
      };
      const options = { ...message.params, ...call };
      try {
        const outcomes: WireOutcome[] = (
          await engine.runCall(message.mode, message.requests, callImages(message.id, message.images), options)
        ).map((o) => (o.ok ? o : { ok: false, error: o.error.toWire() }));
        post({
          type: "result",
          id: message.id,
          outcomes,
          ...(timings !== undefined ? { timings: { run: timings, workerMs: performance.now() - received } } : {}),
        });
      } catch (e) {
        post({ type: "error", id: message.id, error: toFlorenceError(e).toWire() });
      } finally {
        running.delete(message.id);
        handedOver.delete(message.id);
      }
      return;
    }
  }
}

createLocalEngine({ ...init.options, beforeStep: pollCancellation }).then(
  (e) => {
    engine = e;
    port.on("message", (m: HostToWorker) => void handle(m));
    post({ type: "ready", info: e.info });
  },
  (e: unknown) => post({ type: "init_error", error: toFlorenceError(e).toWire() }),
);
