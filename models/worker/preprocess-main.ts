/**
 * Entry of an image preprocessing thread: decodes and resizes calls' images (sharp + our
 * Pillow-exact resize) so that the inference worker receives them ready. Resizing is synchronous
 * JavaScript (about 60 ms for a photo); here it runs while the inference worker runs a batch,
 * instead of blocking that worker before the next one.
 *
 * One call at a time, in arrival order: the work is CPU-bound, and a call whose caller gave up
 * (`drop`) is skipped if it has not started, so it does not hold this thread.
 */
import { type MessagePort, parentPort } from "node:worker_threads";
import { prepareImageOutcomes } from "../stages/images.js";
import { toWirePrepared, transferablesOf, wirePreparationFailure } from "./prepared-wire.js";
import type { HostToPreprocess, PreprocessToHost, WirePreparedImages } from "./protocol.js";

if (parentPort === null) throw new Error("preprocess-main.ts must run in a worker thread");
const port: MessagePort = parentPort;

type Prepare = Extract<HostToPreprocess, { type: "prepare" }>;
const queue: Prepare[] = [];
let working = false;

async function prepare(job: Prepare): Promise<WirePreparedImages> {
  try {
    return toWirePrepared(await prepareImageOutcomes(job.images, { size: job.size }, job.limits));
  } catch (e) {
    return wirePreparationFailure(e);
  }
}

async function drain(): Promise<void> {
  if (working) return;
  working = true;
  for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
    const images = await prepare(job);
    port.postMessage({ type: "prepared", id: job.id, images } satisfies PreprocessToHost, transferablesOf(images));
  }
  working = false;
}

port.on("message", (m: HostToPreprocess) => {
  if (m.type === "drop") {
    const at = queue.findIndex((job) => job.id === m.id);
    if (at >= 0) queue.splice(at, 1);
    return;
  }
  queue.push(m);
  void drain();
});
