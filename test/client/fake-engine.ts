/**
 * A deterministic FlorenceEngine for client and interop tests: no ONNX, no sharp. Each result is
 * computed from the request (task, text, region, image index and size), so a test can predict it,
 * and every number is exactly representable as float32, so results survive the proto's `float`
 * fields bit for bit and compare with toEqual.
 *
 * Image sizes come from the PNG header (or the raw geometry); any other encoded bytes are rejected
 * as `invalid_image`, which gives tests an engine-side error path.
 */
import type { FlorenceEngine, ModelInfo, TaskRequest } from "../../models/engine.js";
import { FlorenceError } from "../../models/errors.js";
import type { GenerationOptions, ImageInput } from "../../models/inputs.js";
import type { BoundingBox, ImageSize, SegmentedInstance, TaskResult } from "../../models/results.js";
import { TASK_NAMES, TASKS } from "../../models/tasks.js";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR chunk (bytes 16-23, big-endian). */
export function pngSize(data: Uint8Array): ImageSize | undefined {
  if (data.length < 24 || PNG_SIGNATURE.some((b, i) => data[i] !== b)) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function imageSize(image: ImageInput, index: number): ImageSize {
  if (!(image instanceof Uint8Array) && image.kind === "raw") return { width: image.width, height: image.height };
  const data = image instanceof Uint8Array ? image : image.kind === "encoded" ? image.data : undefined;
  const size = data === undefined ? undefined : pngSize(data);
  if (size === undefined) {
    throw new FlorenceError("invalid_image", `images[${index}]: the fake engine decodes PNG only; send a PNG`, {
      violations: [{ field: `images[${index}]`, description: "not a PNG" }],
    });
  }
  return size;
}

/** A box inside the image that depends on the image index, at half-pixel (bin-centre-like) values. */
function boxFor(size: ImageSize, index: number): BoundingBox {
  return { x1: 0.5 + index, y1: 0.5, x2: size.width - 0.5, y2: size.height - 0.5 };
}

function instanceFor(label: string, size: ImageSize, index: number): SegmentedInstance {
  const box = boxFor(size, index);
  const polygon = [
    { x: box.x1, y: box.y1 },
    { x: box.x2, y: box.y1 },
    { x: box.x2, y: box.y2 },
  ];
  return { label, polygons: [polygon], box, mask: { size: [size.height, size.width], counts: [0, size.width * size.height] }, confidence: 0.75 };
}

/** The fake answer for one task on one image. */
export function fakeResult(request: TaskRequest, size: ImageSize, index: number): TaskResult {
  const spec = TASKS[request.task];
  const input = request.text ?? (request.region === undefined ? "" : request.region.join(","));
  const answer = `${spec.token} #${index}${input === "" ? "" : ` ${input}`}`;
  const base = { task: request.task, imageSize: size, rawText: `</s><s>${answer}</s>`, generatedTokens: 4 + index };
  const box = boxFor(size, index);
  switch (spec.output) {
    case "pure_text":
      return { kind: "text", ...base, text: answer, confidence: 0.5 };
    case "description_with_bboxes":
    case "bboxes":
    case "phrase_grounding":
      return { kind: "detections", ...base, detections: [{ label: spec.output === "bboxes" ? "" : input || "thing", box, confidence: 0.25 }] };
    case "polygons":
      return { kind: "segmentation", ...base, instances: [instanceFor(input, size, index)] };
    case "ocr": {
      const quad = [
        { x: box.x1, y: box.y1 },
        { x: box.x2, y: box.y1 },
        { x: box.x2, y: box.y2 },
        { x: box.x1, y: box.y2 },
      ] as const;
      return { kind: "ocr", ...base, lines: [{ text: answer, quad, box, confidence: 0.625 }] };
    }
    case "description_with_bboxes_or_polygons":
      return { kind: "open_vocabulary", ...base, detections: [{ label: input, box, confidence: 0.25 }], instances: [instanceFor(input, size, index)] };
  }
}

export const FAKE_MODEL_INFO: ModelInfo = {
  id: "fake",
  path: "/nowhere/fake",
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

export class FakeEngine implements FlorenceEngine {
  readonly info: ModelInfo = FAKE_MODEL_INFO;
  /** Every call, for assertions on what the server passed through. */
  readonly calls: Array<{ readonly requests: readonly TaskRequest[]; readonly imageCount: number; readonly options: GenerationOptions | undefined }> = [];
  /** When set, the next call rejects with it (then it is cleared). */
  nextError: FlorenceError | undefined;
  /** Each call waits this long first (until options.signal aborts it), for deadline and cancel tests. */
  delayMs = 0;
  closed = false;

  async run(request: TaskRequest, images: readonly ImageInput[], options?: GenerationOptions): Promise<TaskResult[]> {
    this.record([request], images.length, options);
    await this.delay(options?.signal);
    return images.map((image, i) => fakeResult(request, imageSize(image, i), i));
  }

  async runTasks(requests: readonly TaskRequest[], image: ImageInput, options?: GenerationOptions): Promise<TaskResult[]> {
    this.record(requests, 1, options);
    await this.delay(options?.signal);
    const size = imageSize(image, 0);
    return requests.map((r) => fakeResult(r, size, 0));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private delay(signal: AbortSignal | undefined): Promise<void> {
    if (this.delayMs === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, this.delayMs);
      signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(new FlorenceError("cancelled", "the fake engine's call was aborted"));
      });
    });
  }

  private record(requests: readonly TaskRequest[], imageCount: number, options: GenerationOptions | undefined): void {
    this.calls.push({ requests, imageCount, options });
    const error = this.nextError;
    this.nextError = undefined;
    if (error !== undefined) throw error;
  }
}
