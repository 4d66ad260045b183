/**
 * Generated messages -> the client's plain result objects. Unset sub-messages read as their proto3
 * defaults (zeros), as on the wire; only answers that cannot be typed at all (no oneof case, a task
 * this client does not know, a quad without four corners) fail, with Code.Internal.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type * as geo from "../gen/florence/v1/geometry_pb.js";
import type * as img from "../gen/florence/v1/image_pb.js";
import * as models from "../gen/florence/v1/model_service_pb.js";
import type * as res from "../gen/florence/v1/results_pb.js";
import { Task } from "../gen/florence/v1/task_pb.js";
import type * as task from "../gen/florence/v1/task_pb.js";
import { enumToName } from "./enums.js";
import type { BoundingBox, TaskName } from "./inputs.js";
import type {
  Detection,
  DetectionsResult,
  ImageFailure,
  ImageSize,
  ModelInfo,
  ModelList,
  ModelStats,
  OcrLine,
  OcrResult,
  OpenVocabularyResult,
  Point,
  RleMask,
  SegmentationResult,
  SegmentedInstance,
  ServerLimits,
  TaskResult,
  TextResult,
  Timings,
} from "./results.js";

function badAnswer(what: string): ConnectError {
  return new ConnectError(`the server sent ${what}; the client and server versions may not match`, Code.Internal);
}

function fromBox(b: geo.BoundingBox | undefined): BoundingBox {
  return { x1: b?.x1 ?? 0, y1: b?.y1 ?? 0, x2: b?.x2 ?? 0, y2: b?.y2 ?? 0 };
}

function fromPoint(p: geo.Point): Point {
  return { x: p.x, y: p.y };
}

function fromMask(m: geo.RleMask | undefined): RleMask {
  return { size: [m?.height ?? 0, m?.width ?? 0], counts: [...(m?.counts ?? [])] };
}

function fromImageSize(s: img.ImageSize | undefined): ImageSize {
  return { width: s?.width ?? 0, height: s?.height ?? 0 };
}

function fromTask(t: Task): TaskName {
  const name = enumToName(Task, t);
  if (name === undefined) throw badAnswer(`a result for task value ${t}, which this client does not know`);
  return name;
}

/** The four metadata fields every result message carries, and its image's error when it failed alone. */
function fromBase(
  r: res.TextResult | res.DetectionsResult | res.SegmentationResult | res.OcrResult | res.OpenVocabularyResult,
) {
  return {
    task: fromTask(r.task),
    imageSize: fromImageSize(r.imageSize),
    rawText: r.rawText,
    generatedTokens: r.generatedTokens,
    ...(r.error === undefined ? {} : { error: fromImageError(r.error) }),
  };
}

function fromImageError(e: res.ImageError): ImageFailure {
  return {
    code: e.code,
    message: e.message,
    reason: e.reason,
    violations: e.fieldViolations.map((v) => ({ field: v.field, description: v.description })),
  };
}

function fromDetection(d: res.Detection): Detection {
  return { label: d.label, box: fromBox(d.box), confidence: d.confidence };
}

function fromInstance(i: res.SegmentedInstance): SegmentedInstance {
  return {
    label: i.label,
    polygons: i.polygons.map((p) => p.points.map(fromPoint)),
    box: fromBox(i.box),
    mask: fromMask(i.mask),
    confidence: i.confidence,
  };
}

function fromOcrLine(l: res.OcrLine): OcrLine {
  const [a, b, c, d] = l.quad.map(fromPoint);
  if (l.quad.length !== 4 || a === undefined || b === undefined || c === undefined || d === undefined) {
    throw badAnswer(`an OCR line whose quad has ${l.quad.length} points instead of 4`);
  }
  return { text: l.text, quad: [a, b, c, d], box: fromBox(l.box), confidence: l.confidence };
}

export function fromTextResult(r: res.TextResult): TextResult {
  return { kind: "text", ...fromBase(r), text: r.text, confidence: r.confidence };
}

export function fromDetectionsResult(r: res.DetectionsResult): DetectionsResult {
  return { kind: "detections", ...fromBase(r), detections: r.detections.map(fromDetection) };
}

export function fromSegmentationResult(r: res.SegmentationResult): SegmentationResult {
  return { kind: "segmentation", ...fromBase(r), instances: r.instances.map(fromInstance) };
}

export function fromOcrResult(r: res.OcrResult): OcrResult {
  return { kind: "ocr", ...fromBase(r), lines: r.lines.map(fromOcrLine) };
}

function fromOpenVocabularyResult(r: res.OpenVocabularyResult): OpenVocabularyResult {
  return {
    kind: "open_vocabulary",
    ...fromBase(r),
    detections: r.detections.map(fromDetection),
    instances: r.instances.map(fromInstance),
  };
}

export function fromTaskResult(r: res.TaskResult): TaskResult {
  switch (r.result.case) {
    case "text":
      return fromTextResult(r.result.value);
    case "detections":
      return fromDetectionsResult(r.result.value);
    case "segmentation":
      return fromSegmentationResult(r.result.value);
    case "ocr":
      return fromOcrResult(r.result.value);
    case "openVocabulary":
      return fromOpenVocabularyResult(r.result.value);
    case undefined:
      throw badAnswer("a TaskResult with no result set");
  }
}

export function fromTimings(t: task.Timings | undefined): Timings {
  const out: { -readonly [K in keyof Timings]: Timings[K] } = { queueMs: t?.queueMs ?? 0, modelMs: t?.modelMs ?? 0 };
  // Optional stages stay absent (not undefined) when the server did not report them.
  if (t?.engineQueueMs !== undefined) out.engineQueueMs = t.engineQueueMs;
  if (t?.preprocessMs !== undefined) out.preprocessMs = t.preprocessMs;
  if (t?.visionMs !== undefined) out.visionMs = t.visionMs;
  if (t?.encoderMs !== undefined) out.encoderMs = t.encoderMs;
  if (t?.decoderMs !== undefined) out.decoderMs = t.decoderMs;
  if (t?.postprocessMs !== undefined) out.postprocessMs = t.postprocessMs;
  return out;
}

function fromModelInfo(m: models.ModelInfo): ModelInfo {
  return {
    id: m.id,
    path: m.path,
    dtype: enumToName(models.ModelDtype, m.dtype),
    executionProvider: enumToName(models.ExecutionProvider, m.executionProvider),
    tasks: m.tasks.map((t) => enumToName(Task, t)).filter((t): t is TaskName => t !== undefined),
    imageSize: fromImageSize(m.imageSize),
    vocabSize: m.vocabSize,
    decoderLayers: m.decoderLayers,
    maxPromptTokens: m.maxPromptTokens,
    maxNewTokens: m.maxNewTokens,
    maxTextBytes: m.maxTextBytes,
    stats: m.stats === undefined ? undefined : fromModelStats(m.stats),
  };
}

function fromModelStats(s: models.ModelStats): ModelStats {
  return {
    batches: Number(s.batches),
    batchedItems: Number(s.batchedItems),
    largestBatch: s.largestBatch,
    queuedItems: s.queuedItems,
    decoderSteps: Number(s.decoderSteps),
    decoderRows: Number(s.decoderRows),
    visionImages: Number(s.visionImages),
    visionCacheHits: Number(s.visionCacheHits),
    visionCacheMisses: Number(s.visionCacheMisses),
    visionCacheEvictions: Number(s.visionCacheEvictions),
    visionCacheBytes: Number(s.visionCacheBytes),
    visionCacheMaxBytes: Number(s.visionCacheMaxBytes),
  };
}

function fromLimits(l: models.ServerLimits | undefined): ServerLimits {
  return {
    readMaxBytes: Number(l?.readMaxBytes ?? 0n),
    maxImagesPerRequest: l?.maxImagesPerRequest ?? 0,
    maxTasksPerRequest: l?.maxTasksPerRequest ?? 0,
    maxConcurrentRequests: l?.maxConcurrentRequests ?? 0,
    maxQueuedRequests: l?.maxQueuedRequests ?? 0,
    maxConcurrentStreams: l?.maxConcurrentStreams ?? 0,
    maxFramesInFlightPerStream: l?.maxFramesInFlightPerStream ?? 0,
    maxNumBeams: l?.maxNumBeams ?? 0,
    maxNewTokens: l?.maxNewTokens ?? 0,
    maxRequestMegapixels: l?.maxRequestMegapixels ?? 0,
  };
}

export function fromListModels(r: models.ListModelsResponse): ModelList {
  return { models: r.models.map(fromModelInfo), limits: fromLimits(r.limits) };
}
