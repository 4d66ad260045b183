/**
 * Result types (core/results.ts) -> proto messages. Pure functions; coordinates pass through unchanged
 * (pixels of the original image at bin centres), only the shape changes.
 */
import { create } from "@bufbuild/protobuf";
import type { BoundingBox, Point, RleMask } from "../core/geometry.js";
import type { ModelInfo } from "../core/model-info.js";
import type {
  Detection,
  DetectionsResult,
  OcrResult,
  OpenVocabularyResult,
  SegmentationResult,
  SegmentedInstance,
  TaskResult,
  TextResult,
} from "../core/results.js";
import { type OutputKind, TASKS, type TaskName } from "../core/tasks.js";
import type { RunTimings } from "../core/timings.js";
import type {
  BoundingBox as BoundingBoxMessage,
  Point as PointMessage,
  RleMask as RleMaskMessage,
} from "../gen/florence/v1/geometry_pb.js";
import { BoundingBoxSchema, PointSchema, PolygonSchema, RleMaskSchema } from "../gen/florence/v1/geometry_pb.js";
import type { ModelInfo as ModelInfoMessage } from "../gen/florence/v1/model_service_pb.js";
import { ModelInfoSchema } from "../gen/florence/v1/model_service_pb.js";
import type {
  Detection as DetectionMessage,
  DetectionsResult as DetectionsResultMessage,
  ImageError,
  OcrResult as OcrResultMessage,
  OpenVocabularyResult as OpenVocabularyResultMessage,
  SegmentationResult as SegmentationResultMessage,
  SegmentedInstance as SegmentedInstanceMessage,
  TaskResult as TaskResultMessage,
  TextResult as TextResultMessage,
} from "../gen/florence/v1/results_pb.js";
import {
  DetectionSchema,
  DetectionsResultSchema,
  OcrLineSchema,
  OcrResultSchema,
  OpenVocabularyResultSchema,
  SegmentationResultSchema,
  SegmentedInstanceSchema,
  TaskResultSchema,
  TextResultSchema,
} from "../gen/florence/v1/results_pb.js";
import type { Task, Timings as TimingsMessage } from "../gen/florence/v1/task_pb.js";
import { TimingsSchema } from "../gen/florence/v1/task_pb.js";
import type { EngineStats } from "../models/engine.js";
import { FlorenceError } from "../models/errors.js";
import { DTYPE_BY_NAME, EXECUTION_PROVIDER_BY_NAME, TASK_BY_NAME } from "./enums.js";

function toPointMessage(p: Point): PointMessage {
  return create(PointSchema, { x: p.x, y: p.y });
}

function toBoxMessage(b: BoundingBox): BoundingBoxMessage {
  return create(BoundingBoxSchema, { x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2 });
}

function toRleMessage(mask: RleMask): RleMaskMessage {
  return create(RleMaskSchema, { height: mask.size[0], width: mask.size[1], counts: [...mask.counts] });
}

function toDetectionMessage(d: Detection): DetectionMessage {
  return create(DetectionSchema, { label: d.label, box: toBoxMessage(d.box), confidence: d.confidence });
}

function toInstanceMessage(s: SegmentedInstance): SegmentedInstanceMessage {
  return create(SegmentedInstanceSchema, {
    label: s.label,
    polygons: s.polygons.map((polygon) => create(PolygonSchema, { points: polygon.map(toPointMessage) })),
    box: toBoxMessage(s.box),
    mask: toRleMessage(s.mask),
    confidence: s.confidence,
  });
}

/** The four metadata fields every result message carries. */
function metadataOf(r: TaskResult) {
  return {
    task: TASK_BY_NAME[r.task],
    imageSize: { width: r.imageSize.width, height: r.imageSize.height },
    rawText: r.rawText,
    generatedTokens: r.generatedTokens,
  };
}

export function toTextResultMessage(r: TextResult): TextResultMessage {
  return create(TextResultSchema, { ...metadataOf(r), text: r.text, confidence: r.confidence });
}

export function toDetectionsResultMessage(r: DetectionsResult): DetectionsResultMessage {
  return create(DetectionsResultSchema, { ...metadataOf(r), detections: r.detections.map(toDetectionMessage) });
}

export function toSegmentationResultMessage(r: SegmentationResult): SegmentationResultMessage {
  return create(SegmentationResultSchema, { ...metadataOf(r), instances: r.instances.map(toInstanceMessage) });
}

export function toOcrResultMessage(r: OcrResult): OcrResultMessage {
  return create(OcrResultSchema, {
    ...metadataOf(r),
    lines: r.lines.map((line) =>
      create(OcrLineSchema, {
        text: line.text,
        quad: line.quad.map(toPointMessage),
        box: toBoxMessage(line.box),
        confidence: line.confidence,
      }),
    ),
  });
}

function toOpenVocabularyResultMessage(r: OpenVocabularyResult): OpenVocabularyResultMessage {
  return create(OpenVocabularyResultSchema, {
    ...metadataOf(r),
    detections: r.detections.map(toDetectionMessage),
    instances: r.instances.map(toInstanceMessage),
  });
}

/** What a result message of an image that failed alone holds: its task and the error. */
export interface FailedResult {
  readonly task: Task;
  readonly error: ImageError;
}

/** The TaskResult oneof case each task answers with (its output kind, core/tasks.ts). */
const CASE_OF_OUTPUT: { readonly [K in OutputKind]: NonNullable<TaskResultMessage["result"]["case"]> } = {
  pure_text: "text",
  description_with_bboxes: "detections",
  bboxes: "detections",
  phrase_grounding: "detections",
  ocr: "ocr",
  polygons: "segmentation",
  description_with_bboxes_or_polygons: "openVocabulary",
};

/** The TaskResult of an image that failed alone: the case `task` answers with, holding only task and error. */
export function toFailedTaskResultMessage(task: TaskName, error: ImageError): TaskResultMessage {
  const failed: FailedResult = { task: TASK_BY_NAME[task], error };
  switch (CASE_OF_OUTPUT[TASKS[task].output]) {
    case "text":
      return create(TaskResultSchema, { result: { case: "text", value: create(TextResultSchema, failed) } });
    case "detections":
      return create(TaskResultSchema, {
        result: { case: "detections", value: create(DetectionsResultSchema, failed) },
      });
    case "segmentation":
      return create(TaskResultSchema, {
        result: { case: "segmentation", value: create(SegmentationResultSchema, failed) },
      });
    case "ocr":
      return create(TaskResultSchema, { result: { case: "ocr", value: create(OcrResultSchema, failed) } });
    case "openVocabulary":
      return create(TaskResultSchema, {
        result: { case: "openVocabulary", value: create(OpenVocabularyResultSchema, failed) },
      });
  }
}

/** Any result, as the TaskResult oneof. */
export function toTaskResultMessage(r: TaskResult): TaskResultMessage {
  switch (r.kind) {
    case "text":
      return create(TaskResultSchema, { result: { case: "text", value: toTextResultMessage(r) } });
    case "detections":
      return create(TaskResultSchema, { result: { case: "detections", value: toDetectionsResultMessage(r) } });
    case "segmentation":
      return create(TaskResultSchema, { result: { case: "segmentation", value: toSegmentationResultMessage(r) } });
    case "ocr":
      return create(TaskResultSchema, { result: { case: "ocr", value: toOcrResultMessage(r) } });
    case "open_vocabulary":
      return create(TaskResultSchema, {
        result: { case: "openVocabulary", value: toOpenVocabularyResultMessage(r) },
      });
    default:
      return assertNever(r);
  }
}

function assertNever(x: never): never {
  throw new FlorenceError("internal", "internal error: unknown result kind", { cause: x });
}

/**
 * Narrows the engine's results to the kind an RPC promises (e.g. CaptionImage -> text). A
 * mismatch is an engine bug, reported as `internal`.
 */
export function expectKind<K extends TaskResult["kind"]>(
  results: readonly TaskResult[],
  kind: K,
): Extract<TaskResult, { kind: K }>[] {
  return results.map((r) => {
    if (r.kind !== kind) {
      throw new FlorenceError("internal", "internal error: the engine returned an unexpected result kind", {
        cause: new Error(`expected ${kind} result for task ${r.task}, got ${r.kind}`),
      });
    }
    return r as Extract<TaskResult, { kind: K }>;
  });
}

/** Server-measured timings plus the engine's stage timings when it reports them. */
export function toTimingsMessage(queueMs: number, modelMs: number, stages?: RunTimings): TimingsMessage {
  return create(TimingsSchema, {
    queueMs,
    modelMs,
    ...(stages === undefined
      ? {}
      : {
          engineQueueMs: stages.queueMs,
          preprocessMs: stages.preprocessMs,
          visionMs: stages.visionMs,
          encoderMs: stages.encoderMs,
          decoderMs: stages.decoderMs,
          postprocessMs: stages.postprocessMs,
        }),
  });
}

/** A short name ("florence-2-base") or a hub repo id ("owner/name"): safe to show as it is. */
const PUBLIC_MODEL_NAME = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

/**
 * The model's name as clients see it: a short name or hub id unchanged, a local folder only by its
 * last path component, so no answer tells a client where the server keeps its files.
 */
export function publicModelId(id: string): string {
  if (PUBLIC_MODEL_NAME.test(id)) return id;
  const parts = id.split(/[\\/]+/).filter((p) => p !== "" && p !== "." && p !== "..");
  return parts.at(-1) ?? "";
}

export function toModelInfoMessage(info: ModelInfo, stats?: EngineStats): ModelInfoMessage {
  return create(ModelInfoSchema, {
    ...(stats === undefined
      ? {}
      : {
          stats: {
            batches: BigInt(stats.batches),
            batchedItems: BigInt(stats.batchedItems),
            largestBatch: stats.largestBatch,
            queuedItems: stats.queuedItems,
            decoderSteps: BigInt(stats.decoderSteps),
            decoderRows: BigInt(stats.decoderRows),
            visionImages: BigInt(stats.visionImages),
            visionCacheHits: BigInt(stats.visionCache.hits),
            visionCacheMisses: BigInt(stats.visionCache.misses),
            visionCacheEvictions: BigInt(stats.visionCache.evictions),
            visionCacheBytes: BigInt(stats.visionCache.bytes),
            visionCacheMaxBytes: BigInt(stats.visionCache.maxBytes),
            workerRestarts: BigInt(stats.workerRestarts ?? 0),
            workersAvailable: stats.workersAvailable ?? 0,
          },
        }),
    id: publicModelId(info.id),
    // ModelInfo.path is deprecated and left empty: where the files live is the server's business.
    tasks: info.tasks.map((t) => TASK_BY_NAME[t]),
    dtype: DTYPE_BY_NAME[info.dtype],
    executionProvider: EXECUTION_PROVIDER_BY_NAME[info.executionProvider],
    imageSize: { width: info.imageSize.width, height: info.imageSize.height },
    vocabSize: info.vocabSize,
    decoderLayers: info.decoderLayers,
    maxPromptTokens: info.maxPromptTokens,
  });
}
