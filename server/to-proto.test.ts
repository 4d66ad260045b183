import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ExecutionProvider, ModelDtype } from "../gen/florence/v1/model_service_pb.js";
import { TaskResultSchema } from "../gen/florence/v1/results_pb.js";
import { Task } from "../gen/florence/v1/task_pb.js";
import type { ModelInfo } from "../models/engine.js";
import type { OcrResult, OpenVocabularyResult, SegmentationResult, TaskResult, TextResult } from "../models/results.js";
import { expectKind, publicModelId, toModelInfoMessage, toTaskResultMessage, toTimingsMessage } from "./to-proto.js";

const meta = { imageSize: { width: 640, height: 480 }, rawText: "</s><s>x</s>", generatedTokens: 7 };
const box = { x1: 1.5, y1: 2.5, x2: 100.25, y2: 200.75 };
const quad = [
  { x: 1, y: 2 },
  { x: 3, y: 2 },
  { x: 3, y: 4 },
  { x: 1, y: 4 },
] as const;

const text: TextResult = { ...meta, task: "caption", kind: "text", text: "a cat", confidence: 0.9 };
const seg: SegmentationResult = {
  ...meta,
  task: "region_to_segmentation",
  kind: "segmentation",
  instances: [
    {
      label: "",
      polygons: [quad, quad.slice(0, 3)],
      box,
      mask: { size: [480, 640], counts: [5, 10, 307185] },
      confidence: 0.5,
    },
  ],
};
const ocr: OcrResult = {
  ...meta,
  task: "ocr_with_region",
  kind: "ocr",
  lines: [{ text: "HELLO", quad, box, confidence: 0.25 }],
};
const ov: OpenVocabularyResult = {
  ...meta,
  task: "open_vocabulary_detection",
  kind: "open_vocabulary",
  detections: [{ label: "dog", box, confidence: 0.75 }],
  instances: seg.instances,
};

/** Round-trips through the wire format, so the test sees what a client decodes. */
function wire(r: TaskResult) {
  return fromBinary(TaskResultSchema, toBinary(TaskResultSchema, toTaskResultMessage(r)));
}

describe("toTaskResultMessage", () => {
  it("maps a text result with its metadata", () => {
    const m = wire(text);
    expect(m.result.case).toBe("text");
    expect(m.result.value).toMatchObject({
      text: "a cat",
      task: Task.CAPTION,
      imageSize: { width: 640, height: 480 },
      rawText: "</s><s>x</s>",
      generatedTokens: 7,
    });
    expect(m.result.case === "text" && m.result.value.confidence).toBeCloseTo(0.9, 6);
  });

  it("maps segmentation polygons, box and RLE mask ([height, width] -> height, width)", () => {
    const m = wire(seg);
    if (m.result.case !== "segmentation") throw new Error(`got ${m.result.case}`);
    const instance = m.result.value.instances[0]!;
    expect(instance.polygons.map((p) => p.points.length)).toEqual([4, 3]);
    expect(instance.polygons[0]?.points[2]).toMatchObject({ x: 3, y: 4 });
    expect(instance.mask).toMatchObject({ height: 480, width: 640, counts: [5, 10, 307185] });
    expect(instance.box).toMatchObject({ x1: 1.5, y1: 2.5, x2: 100.25, y2: 200.75 });
    expect(m.result.value.task).toBe(Task.REGION_TO_SEGMENTATION);
  });

  it("maps OCR lines with their four-point quads", () => {
    const m = wire(ocr);
    if (m.result.case !== "ocr") throw new Error(`got ${m.result.case}`);
    expect(m.result.value.lines[0]?.text).toBe("HELLO");
    expect(m.result.value.lines[0]?.quad.map((p) => [p.x, p.y])).toEqual([
      [1, 2],
      [3, 2],
      [3, 4],
      [1, 4],
    ]);
  });

  it("maps open-vocabulary results with both boxes and instances", () => {
    const m = wire(ov);
    if (m.result.case !== "openVocabulary") throw new Error(`got ${m.result.case}`);
    expect(m.result.value.detections[0]?.label).toBe("dog");
    expect(m.result.value.instances).toHaveLength(1);
  });
});

describe("expectKind", () => {
  it("narrows matching results and rejects a mismatch as internal", () => {
    expect(expectKind([text], "text")[0]?.text).toBe("a cat");
    expect(() => expectKind([text, ocr], "text")).toThrowError(expect.objectContaining({ kind: "internal" }));
  });
});

describe("toTimingsMessage", () => {
  it("leaves stage timings unset when the engine reports none", () => {
    const t = toTimingsMessage(1.5, 20);
    expect(t.queueMs).toBe(1.5);
    expect(t.modelMs).toBe(20);
    expect(t.decoderMs).toBeUndefined();
    const s = toTimingsMessage(0, 9, {
      queueMs: 0,
      preprocessMs: 1,
      visionMs: 2,
      encoderMs: 3,
      decoderMs: 4,
      postprocessMs: 5,
    });
    expect([s.preprocessMs, s.visionMs, s.encoderMs, s.decoderMs, s.postprocessMs]).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("toModelInfoMessage", () => {
  it("maps enums and sizes", () => {
    const info: ModelInfo = {
      id: "florence-2-base",
      path: "/m",
      dtype: "q4f16",
      executionProvider: "cuda",
      tasks: ["caption", "ocr"],
      imageSize: { width: 768, height: 768 },
      vocabSize: 51289,
      decoderLayers: 6,
      maxPromptTokens: 447,
      maxNewTokens: 1024,
      maxTextBytes: 445 * 64,
    };
    expect(toModelInfoMessage(info)).toMatchObject({
      id: "florence-2-base",
      dtype: ModelDtype.Q4F16,
      executionProvider: ExecutionProvider.CUDA,
      tasks: [Task.CAPTION, Task.OCR],
      imageSize: { width: 768, height: 768 },
      maxPromptTokens: 447,
      path: "",
    });
  });
});

describe("publicModelId", () => {
  it.each([
    ["florence-2-base", "florence-2-base"],
    ["onnx-community/Florence-2-base", "onnx-community/Florence-2-base"],
    ["/srv/models/tiny", "tiny"],
    ["/srv/models/tiny/", "tiny"],
    ["./tiny", "tiny"],
    ["test/fixtures/tiny", "tiny"],
    ["~/models/florence", "florence"],
    ["C:\\models\\florence", "florence"],
  ])("%s -> %s", (id, expected) => {
    expect(publicModelId(id)).toBe(expected);
  });
});
