/**
 * FlorenceService's unary RPCs: validate and convert the request (validation.ts), run the engine
 * inside an admission slot (call-context.ts), convert the results (to-proto.ts). No onnxruntime,
 * no sharp: the engine interface is all this file knows of the model.
 */
import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { TaskRequest } from "../core/inputs.js";
import type { ResultKind, TaskResult } from "../core/results.js";
import { CLASSES_TASK, joinClasses, openVocabularyToDetections } from "../core/shortcuts.js";
import { TASKS, type TaskName } from "../core/tasks.js";
import type { FlorenceService } from "../gen/florence/v1/florence_service_pb.js";
import {
  CaptionGranularitySchema,
  DetectionLabelsMode,
  DetectionLabelsModeSchema,
} from "../gen/florence/v1/florence_service_pb.js";
import type { BoundingBox } from "../gen/florence/v1/geometry_pb.js";
import type { Image } from "../gen/florence/v1/image_pb.js";
import {
  type DetectionsResult as DetectionsResultMessage,
  DetectionsResultSchema,
  type OcrResult as OcrResultMessage,
  OcrResultSchema,
  type SegmentationResult as SegmentationResultMessage,
  SegmentationResultSchema,
  type TextResult as TextResultMessage,
  TextResultSchema,
} from "../gen/florence/v1/results_pb.js";
import type { GenerationOptions as GenerationOptionsMessage, Timings } from "../gen/florence/v1/task_pb.js";
import type { ImageOutcome } from "../models/engine.js";
import { FlorenceError } from "../models/errors.js";
import type { CallRecord, ServiceDeps } from "./call-context.js";
import { laneOf, requestLimitsOf, unaryCall, withEngine } from "./call-context.js";
import { captionTaskOf, describeEnumValues, detectionTaskOf, TASK_BY_NAME } from "./enums.js";
import { toImageError } from "./errors.js";
import { createRunStreamHandler, type PartialTexts } from "./run-stream.js";
import { createStreamFramesHandler } from "./stream-frames.js";
import {
  expectKind,
  type FailedResult,
  toFailedTaskResultMessage,
  toDetectionsResultMessage,
  toOcrResultMessage,
  toSegmentationResultMessage,
  toTaskResultMessage,
  toTextResultMessage,
  toTimingsMessage,
} from "./to-proto.js";
import {
  imageBytes,
  toGenerationOptions,
  toImageInput,
  toImageInputs,
  toTaskRequest,
  toTaskRequestFor,
  Violations,
} from "./validation.js";

/** The fields every "images + options" request has. */
interface ImagesRequest {
  readonly images: readonly Image[];
  readonly options?: GenerationOptionsMessage | undefined;
  /** The model's name; "" = the default model. */
  readonly model: string;
}

interface RunOutput {
  /** The task that ran. */
  readonly task: TaskName;
  /** One per image, in order; a failure only in a call of several images. */
  readonly outcomes: ImageOutcome[];
  readonly timings: Timings;
}

/**
 * The common path of the image RPCs: `build` checks the RPC's own fields and returns the task
 * request; images and options are checked here; all violations are thrown together. A call of
 * several images answers per image (engine.runEach): an image that cannot be used, or whose region
 * is outside it, fails alone (ImageError in results.proto). A call of one image fails with it.
 */
async function runOnImages(
  deps: ServiceDeps,
  request: ImagesRequest,
  context: HandlerContext,
  record: CallRecord,
  build: (v: Violations) => TaskRequest | undefined,
  partials?: PartialTexts,
): Promise<RunOutput> {
  record.model = deps.models.resolve(request.model);
  const v = new Violations();
  const task = build(v);
  const images = toImageInputs(request.images, "images", deps.options, v);
  const options = toGenerationOptions(request.options, "options", requestLimitsOf(deps, record.model), v);
  record.images = request.images.length;
  record.bytes = request.images.reduce((sum, image) => sum + imageBytes(image), 0);
  if (task !== undefined) record.task = task.task;
  v.throwIfAny();
  if (task === undefined) throw v.toError(); // unreachable: build records why it returned nothing
  const { signal } = context;
  const { value, queueMs, modelMs, stages } = await withEngine(deps, record, context, async (engine, onTimings) => {
    const o = { ...options, ...partials, signal, lane: laneOf(context), onTimings };
    if (images.length > 1) return engine.runEach(task, images, o);
    return (await engine.run(task, images, o)).map((result): ImageOutcome => ({ ok: true, result }));
  });
  if (value.length !== images.length) {
    throw new FlorenceError("internal", "internal error: the engine returned the wrong number of results", {
      cause: new Error(`${images.length} images, ${value.length} results`),
    });
  }
  return { task: task.task, outcomes: value, timings: toTimingsMessage(queueMs, modelMs, stages) };
}

/** The message of each result kind a high-level RPC answers with. */
interface ResultMessages {
  readonly text: TextResultMessage;
  readonly detections: DetectionsResultMessage;
  readonly segmentation: SegmentationResultMessage;
  readonly ocr: OcrResultMessage;
}

type AnsweredKind = keyof ResultMessages & ResultKind;

const TO_MESSAGE: { readonly [K in AnsweredKind]: (r: Extract<TaskResult, { kind: K }>) => ResultMessages[K] } = {
  text: toTextResultMessage,
  detections: toDetectionsResultMessage,
  segmentation: toSegmentationResultMessage,
  ocr: toOcrResultMessage,
};

/** The message of each kind for an image that failed alone: its task and error only. */
const TO_FAILED_MESSAGE: { readonly [K in AnsweredKind]: (failed: FailedResult) => ResultMessages[K] } = {
  text: (failed) => create(TextResultSchema, failed),
  detections: (failed) => create(DetectionsResultSchema, failed),
  segmentation: (failed) => create(SegmentationResultSchema, failed),
  ocr: (failed) => create(OcrResultSchema, failed),
};

/** The extra fields a high-level RPC's request may carry (its task's text is `phrase`). */
interface TaskFields {
  readonly phrase?: string;
  readonly region?: BoundingBox | undefined;
}

/** Reads the input `task` takes (TASKS[task].input) from the RPC's `phrase` or `region` field. */
const fixedTask =
  (task: TaskName) =>
  (req: TaskFields, v: Violations): TaskRequest | undefined => {
    const textField = TASKS[task].input === "text" ? "phrase" : "text";
    return toTaskRequestFor(task, { text: req.phrase ?? "", region: req.region }, "", v, textField);
  };

/** CaptionImage: the task of the granularity (core/shortcuts.ts). */
function captionTask(req: { readonly granularity: number }, v: Violations): TaskRequest | undefined {
  const task = captionTaskOf(req.granularity);
  if (task === undefined) {
    v.add(
      "invalid_argument",
      "granularity",
      `unknown value ${req.granularity}; use one of ${describeEnumValues(CaptionGranularitySchema)}`,
    );
  }
  return task === undefined ? undefined : { task };
}

/**
 * DetectObjects: a labels mode, or open-vocabulary detection of the given classes joined by
 * "<and>" (core/shortcuts.ts; the engine's detectObjects does the same).
 */
function detectionTask(
  req: { readonly labelsMode: DetectionLabelsMode; readonly classes: readonly string[] },
  v: Violations,
): TaskRequest | undefined {
  const { labelsMode, classes } = req;
  if (classes.length === 0) {
    const task = detectionTaskOf(labelsMode);
    if (task === undefined) {
      v.add(
        "invalid_argument",
        "labels_mode",
        `unknown value ${labelsMode}; use one of ${describeEnumValues(DetectionLabelsModeSchema)}`,
      );
    }
    return task === undefined ? undefined : { task };
  }
  if (labelsMode !== DetectionLabelsMode.UNSPECIFIED && labelsMode !== DetectionLabelsMode.CLASSES) {
    v.add("invalid_argument", "labels_mode", "must be unset or DETECTION_LABELS_MODE_CLASSES when classes are given");
  }
  classes.forEach((c, i) => {
    if (c.trim() === "") v.add("missing_text", `classes[${i}]`, "a class name must not be blank");
  });
  return { task: CLASSES_TASK, text: joinClasses(classes) };
}

/** With classes the engine answers open-vocabulary results; polygon instances keep their box. */
function asDetections(results: readonly TaskResult[]): TaskResult[] {
  return results.map((r) => (r.kind === "open_vocabulary" ? openVocabularyToDetections(r) : r));
}

export function createFlorenceService(deps: ServiceDeps): ServiceImpl<typeof FlorenceService> {
  /**
   * One high-level RPC: `task` reads the request's own fields, the images and options are checked
   * and run by runOnImages, and the results must all be of `kind`.
   */
  const imageRpc = <Fields, K extends AnsweredKind>(
    kind: K,
    task: (req: Fields, v: Violations) => TaskRequest | undefined,
    fold: (results: readonly TaskResult[]) => readonly TaskResult[] = (results) => results,
  ) =>
    unaryCall(deps, async (req: ImagesRequest & Fields, ctx, record) => {
      const out = await runOnImages(deps, req, ctx, record, (v) => task(req, v));
      const answered = expectKind(fold(out.outcomes.flatMap((o) => (o.ok ? [o.result] : []))), kind);
      let next = 0;
      const results: ResultMessages[K][] = out.outcomes.map((o) =>
        o.ok
          ? TO_MESSAGE[kind](answered[next++]!)
          : TO_FAILED_MESSAGE[kind]({ task: TASK_BY_NAME[out.task], error: toImageError(o.error) }),
      );
      return { results, timings: out.timings };
    });

  return {
    captionImage: imageRpc("text", captionTask),
    detectObjects: imageRpc("detections", detectionTask, asDetections),
    ocrImage: imageRpc("text", fixedTask("ocr")),
    parseDocument: imageRpc("ocr", fixedTask("ocr_with_region")),
    groundPhrase: imageRpc("detections", fixedTask("phrase_grounding")),
    segmentPhrase: imageRpc("segmentation", fixedTask("referring_expression_segmentation")),
    segmentRegion: imageRpc("segmentation", fixedTask("region_to_segmentation")),
    classifyImageRegion: imageRpc("text", fixedTask("region_to_category")),
    captionImageRegion: imageRpc("text", fixedTask("region_to_description")),
    ocrImageRegion: imageRpc("text", fixedTask("region_to_ocr")),
    run: unaryCall(deps, async (req, ctx, record) => {
      const out = await runOnImages(deps, req, ctx, record, (v) => toTaskRequest(req, "", v));
      const results = out.outcomes.map((o) =>
        o.ok ? toTaskResultMessage(o.result) : toFailedTaskResultMessage(out.task, toImageError(o.error)),
      );
      return { results, timings: out.timings };
    }),
    runTasks: unaryCall(deps, async (req, ctx, record) => {
      record.model = deps.models.resolve(req.model);
      const v = new Violations();
      const image = toImageInput(req.image, "image", v);
      const tasks: TaskRequest[] = [];
      if (req.tasks.length === 0) v.add("invalid_argument", "tasks", "no tasks: send at least one");
      else if (req.tasks.length > deps.options.maxTasksPerRequest) {
        v.add(
          "invalid_argument",
          "tasks",
          `${req.tasks.length} tasks, but this server accepts at most ${deps.options.maxTasksPerRequest} per request; split the request`,
        );
      } else {
        req.tasks.forEach((t, i) => {
          const task = toTaskRequest(t, `tasks[${i}].`, v);
          if (task !== undefined) tasks.push(task);
        });
      }
      const options = toGenerationOptions(req.options, "options", requestLimitsOf(deps, record.model), v);
      record.images = 1;
      record.bytes = imageBytes(req.image);
      record.task = tasks.map((t) => t.task).join(",");
      v.throwIfAny();
      if (image === undefined) throw v.toError(); // unreachable: toImageInput recorded why
      const { value, queueMs, modelMs, stages } = await withEngine(deps, record, ctx, (engine, onTimings) =>
        engine.runTasks(tasks, image, { ...options, signal: ctx.signal, lane: laneOf(ctx), onTimings }),
      );
      return { results: value.map(toTaskResultMessage), timings: toTimingsMessage(queueMs, modelMs, stages) };
    }),
    streamFrames: createStreamFramesHandler(deps),
    runStream: createRunStreamHandler(deps, async (req, ctx, record, partials) => {
      const out = await runOnImages(deps, req, ctx, record, (v) => toTaskRequest(req, "", v), partials);
      const results = out.outcomes.map((o) =>
        o.ok ? toTaskResultMessage(o.result) : toFailedTaskResultMessage(out.task, toImageError(o.error)),
      );
      return { results, timings: out.timings };
    }),
  };
}
