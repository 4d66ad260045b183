/**
 * A deterministic FlorenceEngine for the server's integration tests: no model, results computed
 * from the inputs (so a test can tell which image and which input produced which result), an
 * adjustable delay, a gate to hold calls in flight, and a log of the signals it was given.
 *
 * Image payloads can ask for failures: encoded bytes starting with "BAD" are undecodable
 * (invalid_image), "BOOM" makes the engine throw a plain Error with library-looking text
 * (which must never reach a client).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { FlorenceEngine, ModelInfo, TaskRequest } from "../../models/engine.js";
import { FlorenceError } from "../../models/errors.js";
import type { GenerationOptions, ImageInput } from "../../models/inputs.js";
import type { BoundingBox, ImageSize, TaskResult } from "../../models/results.js";
import { TASK_NAMES, TASKS } from "../../models/tasks.js";

export const FAKE_MODEL_INFO: ModelInfo = {
  id: "fake/florence-2",
  path: "/models/fake",
  dtype: "fp32",
  executionProvider: "cpu",
  tasks: TASK_NAMES,
  imageSize: { width: 768, height: 768 },
  vocabSize: 51289,
  decoderLayers: 6,
  maxPromptTokens: 1024 - 577,
  maxNewTokens: 1024,
  maxTextBytes: (1024 - 577 - 2) * 64,
};

export const LEAKY_ERROR_TEXT = "onnxruntime::RunImpl failed at /opt/ort/session.cc:1234";

export interface EngineCall {
  readonly method: "run" | "runTasks";
  readonly requests: readonly TaskRequest[];
  readonly images: number;
  readonly options: GenerationOptions | undefined;
  readonly signal: AbortSignal | undefined;
}

export class FakeEngine implements FlorenceEngine {
  readonly info: ModelInfo = FAKE_MODEL_INFO;
  /** Time each call takes, in ms. */
  delayMs: number;
  readonly calls: EngineCall[] = [];
  /** Calls that ended because their signal aborted. */
  aborted = 0;
  running = 0;
  maxRunning = 0;
  closed = false;
  #gate: Promise<void> | undefined;

  constructor(delayMs = 0) {
    this.delayMs = delayMs;
  }

  /** Holds every call (after its delay) until the returned function is called. */
  hold(): () => void {
    let release: () => void = () => {};
    this.#gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.#gate = undefined;
      release();
    };
  }

  /** Resolves once `n` calls have started. */
  async waitForCalls(n: number): Promise<void> {
    while (this.calls.length < n) await sleep(2);
  }

  async run(request: TaskRequest, images: readonly ImageInput[], options?: GenerationOptions): Promise<TaskResult[]> {
    this.calls.push({ method: "run", requests: [request], images: images.length, options, signal: options?.signal });
    await this.#work(images, options?.signal);
    return images.map((image) => resultFor(request, image));
  }

  async runTasks(requests: readonly TaskRequest[], image: ImageInput, options?: GenerationOptions): Promise<TaskResult[]> {
    this.calls.push({ method: "runTasks", requests, images: 1, options, signal: options?.signal });
    await this.#work([image], options?.signal);
    return requests.map((request) => resultFor(request, image));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async #work(images: readonly ImageInput[], signal: AbortSignal | undefined): Promise<void> {
    if (this.closed) throw new FlorenceError("unavailable", "engine is closed");
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      for (const image of images) {
        const text = new TextDecoder().decode(bytesOf(image).subarray(0, 4));
        if (text.startsWith("BAD")) throw new FlorenceError("invalid_image", "the image bytes are not a JPEG, PNG, WebP, GIF, TIFF or AVIF file");
        if (text === "BOOM") throw new Error(LEAKY_ERROR_TEXT);
      }
      const gate = this.#gate;
      await Promise.all([sleep(this.delayMs, undefined, signal ? { signal } : {}), gate ? abortable(gate, signal) : undefined]);
    } catch (e) {
      if (signal?.aborted) {
        this.aborted++;
        throw new FlorenceError("cancelled", "generation was cancelled", { cause: e });
      }
      throw e;
    } finally {
      this.running--;
    }
  }
}

function abortable(p: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return p;
  return new Promise((resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    p.then(resolve, reject);
  });
}

function bytesOf(image: ImageInput): Uint8Array {
  if (image instanceof Uint8Array) return image;
  return image.kind === "path" ? new Uint8Array() : image.data;
}

/** Raw images report their size; encoded ones report (byte length) x 1, so tests can tell them apart. */
export function fakeImageSize(image: ImageInput): ImageSize {
  if (!(image instanceof Uint8Array) && image.kind === "raw") return { width: image.width, height: image.height };
  return { width: bytesOf(image).length, height: 1 };
}

/** The box a fake result reports: the request's region, or one derived from the image size. */
function fakeBox(request: TaskRequest, size: ImageSize): BoundingBox {
  if (request.region) {
    const [x1, y1, x2, y2] = request.region;
    return { x1, y1, x2, y2 };
  }
  return { x1: 0.5, y1: 0.25, x2: size.width - 0.5, y2: size.height };
}

export function resultFor(request: TaskRequest, image: ImageInput): TaskResult {
  const imageSize = fakeImageSize(image);
  const label = request.text ?? request.task;
  const base = { task: request.task, imageSize, rawText: `</s><s>${label}</s>`, generatedTokens: 3 };
  const box = fakeBox(request, imageSize);
  const corners = [
    { x: box.x1, y: box.y1 },
    { x: box.x2, y: box.y1 },
    { x: box.x2, y: box.y2 },
    { x: box.x1, y: box.y2 },
  ] as const;
  const instance = {
    label,
    polygons: [corners],
    box,
    mask: { size: [imageSize.height, imageSize.width] as const, counts: [0, imageSize.width * imageSize.height] },
    confidence: 0.5,
  };
  switch (TASKS[request.task].output) {
    case "pure_text":
      return { ...base, kind: "text", text: `${request.task}:${label}:${imageSize.width}x${imageSize.height}`, confidence: 0.75 };
    case "description_with_bboxes":
    case "bboxes":
    case "phrase_grounding":
      return { ...base, kind: "detections", detections: [{ label, box, confidence: 0.25 }] };
    case "ocr":
      return { ...base, kind: "ocr", lines: [{ text: label, quad: corners, box, confidence: 0.125 }] };
    case "polygons":
      return { ...base, kind: "segmentation", instances: [instance] };
    case "description_with_bboxes_or_polygons":
      return { ...base, kind: "open_vocabulary", detections: [{ label, box, confidence: 0.25 }], instances: [instance] };
  }
}
