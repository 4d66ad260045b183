/**
 * The one deterministic FlorenceEngine of the server, client and interop tests: no model, no ONNX,
 * no sharp. Each result is computed from its request and image (fakeResult), so a test can predict
 * it, and every number is exactly representable as float32, so results survive the proto's `float`
 * fields bit for bit and compare with toEqual.
 *
 * Test controls: a delay per call (aborted by the call's signal), a gate that holds calls in
 * flight (hold), an error for the next call (nextError), and a log of every call with its options
 * and signal.
 *
 * Image sizes: raw pixels report their geometry, PNG bytes their header's size. Encoded bytes can
 * ask for failures: bytes starting with "BAD" are undecodable (invalid_image), "BOOM" makes the
 * engine throw a plain Error with library-looking text (which must never reach a client). Other
 * encoded bytes depend on `otherEncoded`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { BoundingBox, ImageSize } from "../../core/geometry.js";
import type { ImageInput, TaskRequest } from "../../core/inputs.js";
import type { ModelInfo } from "../../core/model-info.js";
import type { TaskResult } from "../../core/results.js";
import { TASK_NAMES, TASKS } from "../../core/tasks.js";
import type { EngineStats, FlorenceEngine, ImageOutcome } from "../../models/engine.js";
import { FlorenceError } from "../../models/errors.js";
import type { GenerationOptions } from "../../models/inputs.js";

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

/** What the "BOOM" image makes the engine throw; a client must never see it. */
export const LEAKY_ERROR_TEXT = "onnxruntime::RunImpl failed at /opt/ort/session.cc:1234";

/** The counters of an engine that has run nothing (the fake batches nothing). */
const ZERO_STATS: EngineStats = {
  batches: 0,
  batchedItems: 0,
  largestBatch: 0,
  queuedItems: 0,
  decoderSteps: 0,
  decoderRows: 0,
  visionImages: 0,
  visionCache: { hits: 0, misses: 0, evictions: 0, entries: 0, bytes: 0, maxBytes: 0 },
};

export interface FakeEngineOptions {
  /** Time each call takes, in ms; the call's signal aborts it. Default 0. */
  readonly delayMs?: number;
  /**
   * Encoded bytes that are neither a PNG nor a "BAD"/"BOOM" trigger: "length" reports them as an
   * image of (byte length) x 1 pixels, so a test can tell images apart by size; "reject" refuses
   * them as invalid_image (an engine that decodes PNG only). Default "length".
   */
  readonly otherEncoded?: "length" | "reject";
}

/** One call the engine received. */
export interface EngineCall {
  readonly method: "run" | "runEach" | "runTasks";
  readonly requests: readonly TaskRequest[];
  /** How many images the call carried. */
  readonly images: number;
  readonly options: GenerationOptions | undefined;
  readonly signal: AbortSignal | undefined;
}

export class FakeEngine implements FlorenceEngine {
  readonly info: ModelInfo = FAKE_MODEL_INFO;
  /** Time each call takes, in ms (see FakeEngineOptions.delayMs). */
  delayMs: number;
  readonly otherEncoded: "length" | "reject";
  /** Every call, for assertions on what the server passed through. */
  readonly calls: EngineCall[] = [];
  /** When set, the next call rejects with it (then it is cleared). */
  nextError: FlorenceError | undefined;
  /** Calls that ended because their signal aborted. */
  aborted = 0;
  running = 0;
  maxRunning = 0;
  closed = false;
  #gate: Promise<void> | undefined;

  constructor(options: FakeEngineOptions = {}) {
    this.delayMs = options.delayMs ?? 0;
    this.otherEncoded = options.otherEncoded ?? "length";
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
    this.#record({ method: "run", requests: [request], images: images.length, options, signal: options?.signal });
    const sizes = await this.#work(images, options?.signal);
    return sizes.map((size, i) => fakeResult(request, size, i));
  }

  /** Like run; an invalid_image (a "BAD" or, with otherEncoded "reject", a non-PNG image) fails alone. */
  async runEach(
    request: TaskRequest,
    images: readonly ImageInput[],
    options?: GenerationOptions,
  ): Promise<ImageOutcome[]> {
    this.#record({ method: "runEach", requests: [request], images: images.length, options, signal: options?.signal });
    const sizes = await this.#work(images, options?.signal, true);
    return sizes.map((size, i) =>
      size instanceof FlorenceError ? { ok: false, error: size } : { ok: true, result: fakeResult(request, size, i) },
    );
  }

  async runTasks(
    requests: readonly TaskRequest[],
    image: ImageInput,
    options?: GenerationOptions,
  ): Promise<TaskResult[]> {
    this.#record({ method: "runTasks", requests, images: 1, options, signal: options?.signal });
    const [size] = await this.#work([image], options?.signal);
    return requests.map((request) => fakeResult(request, size!, 0));
  }

  async stats(): Promise<EngineStats> {
    return ZERO_STATS;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  #record(call: EngineCall): void {
    this.calls.push(call);
    const error = this.nextError;
    this.nextError = undefined;
    if (error !== undefined) throw error;
  }

  /**
   * Decodes the images (their sizes), then waits out the delay and the gate. With `perImage`, an
   * image's invalid_image error (named "images[i]" when the call has several) is its answer.
   */
  async #work(images: readonly ImageInput[], signal: AbortSignal | undefined): Promise<ImageSize[]>;
  async #work(
    images: readonly ImageInput[],
    signal: AbortSignal | undefined,
    perImage: true,
  ): Promise<Array<ImageSize | FlorenceError>>;
  async #work(
    images: readonly ImageInput[],
    signal: AbortSignal | undefined,
    perImage = false,
  ): Promise<Array<ImageSize | FlorenceError>> {
    if (this.closed) throw new FlorenceError("unavailable", "engine is closed");
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      const sizes = images.map((image, i) => {
        try {
          return this.#imageSize(image, i);
        } catch (e) {
          if (!perImage || !(e instanceof FlorenceError) || e.kind !== "invalid_image") throw e;
          if (images.length === 1 || e.violations.length > 0) return e;
          return new FlorenceError(e.kind, `images[${i}]: ${e.message}`, {
            violations: [{ field: `images[${i}]`, description: e.message }],
          });
        }
      });
      const gate = this.#gate;
      await Promise.all([
        sleep(this.delayMs, undefined, signal ? { signal } : {}),
        gate ? abortable(gate, signal) : undefined,
      ]);
      return sizes;
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

  #imageSize(image: ImageInput, index: number): ImageSize {
    if (!(image instanceof Uint8Array) && image.kind === "raw") return { width: image.width, height: image.height };
    const data = image instanceof Uint8Array ? image : image.kind === "encoded" ? image.data : undefined;
    if (data !== undefined) {
      const text = new TextDecoder().decode(data.subarray(0, 4));
      if (text.startsWith("BAD"))
        throw new FlorenceError("invalid_image", "the image bytes are not a JPEG, PNG, WebP, GIF, TIFF or AVIF file");
      if (text === "BOOM") throw new Error(LEAKY_ERROR_TEXT);
      const png = pngSize(data);
      if (png !== undefined) return png;
      if (this.otherEncoded === "length") return { width: data.length, height: 1 };
    }
    throw new FlorenceError("invalid_image", `images[${index}]: the fake engine decodes PNG only; send a PNG`, {
      violations: [{ field: `images[${index}]`, description: "not a PNG" }],
    });
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

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR chunk (bytes 16-23, big-endian). */
export function pngSize(data: Uint8Array): ImageSize | undefined {
  if (data.length < 24 || PNG_SIGNATURE.some((b, i) => data[i] !== b)) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** The box of a fake result: the request's region, or one inside the image that moves with the image's index. */
function fakeBox(request: TaskRequest, size: ImageSize, index: number): BoundingBox {
  if (request.region) {
    const [x1, y1, x2, y2] = request.region;
    return { x1, y1, x2, y2 };
  }
  return { x1: 0.5 + index, y1: 0.25, x2: size.width - 0.5, y2: size.height };
}

/**
 * The fake answer for one task on the `index`-th image (of size `size`) of a call. Its text is
 * "<task>:<text input or task>:<width>x<height>"; its box the request's region or fakeBox's.
 */
export function fakeResult(request: TaskRequest, size: ImageSize, index: number): TaskResult {
  const label = request.text ?? request.task;
  const base = { task: request.task, imageSize: size, rawText: `</s><s>${label}</s>`, generatedTokens: 3 + index };
  const box = fakeBox(request, size, index);
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
    mask: { size: [size.height, size.width] as const, counts: [0, size.width * size.height] },
    confidence: 0.5,
  };
  switch (TASKS[request.task].output) {
    case "pure_text":
      return { ...base, kind: "text", text: `${request.task}:${label}:${size.width}x${size.height}`, confidence: 0.75 };
    case "description_with_bboxes":
    case "bboxes":
    case "phrase_grounding":
      return { ...base, kind: "detections", detections: [{ label, box, confidence: 0.25 }] };
    case "ocr":
      return { ...base, kind: "ocr", lines: [{ text: label, quad: corners, box, confidence: 0.125 }] };
    case "polygons":
      return { ...base, kind: "segmentation", instances: [instance] };
    case "description_with_bboxes_or_polygons":
      return {
        ...base,
        kind: "open_vocabulary",
        detections: [{ label, box, confidence: 0.25 }],
        instances: [instance],
      };
  }
}
