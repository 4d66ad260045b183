/**
 * FlorenceService's unary RPCs: validate and convert the request (validation.ts), run the engine
 * inside an admission slot (call-context.ts), convert the results (to-proto.ts). No onnxruntime,
 * no sharp: the engine interface is all this file knows of the model.
 */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { FlorenceService } from "../gen/florence/v1/florence_service_pb.js";
import { CaptionGranularitySchema, DetectionLabelsMode, DetectionLabelsModeSchema } from "../gen/florence/v1/florence_service_pb.js";
import type { BoundingBox } from "../gen/florence/v1/geometry_pb.js";
import type { Image } from "../gen/florence/v1/image_pb.js";
import type { GenerationOptions as GenerationOptionsMessage, Timings } from "../gen/florence/v1/task_pb.js";
import type { TaskRequest } from "../models/engine.js";
import { FlorenceError } from "../models/errors.js";
import { openVocabularyToDetections } from "../models/florence.js";
import type { TaskResult } from "../models/results.js";
import type { TaskName } from "../models/tasks.js";
import type { CallRecord, ServiceDeps } from "./call-context.js";
import { laneOf, unaryCall, withEngine } from "./call-context.js";
import { CAPTION_TASK, DETECTION_TASK, describeEnumValues } from "./enums.js";
import { createStreamFramesHandler } from "./stream-frames.js";
import {
  expectKind,
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
}

interface RunOutput {
  readonly results: TaskResult[];
  readonly timings: Timings;
}

/**
 * The common path of the image RPCs: `build` checks the RPC's own fields and returns the task
 * request; images and options are checked here; all violations are thrown together.
 */
async function runOnImages(
  deps: ServiceDeps,
  request: ImagesRequest,
  context: HandlerContext,
  record: CallRecord,
  build: (v: Violations) => TaskRequest | undefined,
): Promise<RunOutput> {
  const v = new Violations();
  const task = build(v);
  const images = toImageInputs(request.images, "images", deps.options, v);
  const options = toGenerationOptions(request.options, "options", deps.options, v);
  record.images = request.images.length;
  record.bytes = request.images.reduce((sum, image) => sum + imageBytes(image), 0);
  if (task !== undefined) record.task = task.task;
  v.throwIfAny();
  if (task === undefined) throw v.toError(); // unreachable: build records why it returned nothing
  const { signal } = context;
  const { value, queueMs, modelMs, stages } = await withEngine(deps, record, context, (engine, onTimings) =>
    engine.run(task, images, { ...options, signal, lane: laneOf(context), onTimings }),
  );
  if (value.length !== images.length) {
    throw new FlorenceError("internal", "internal error: the engine returned the wrong number of results", {
      cause: new Error(`${images.length} images, ${value.length} results`),
    });
  }
  return { results: value, timings: toTimingsMessage(queueMs, modelMs, stages) };
}

/** A request with a fixed task and no extra input. */
const fixedTask = (name: TaskName) => (v: Violations) => toTaskRequestFor(name, { text: "", region: undefined }, "", v);
/** A request whose task needs the `phrase` field. */
const phraseTask = (name: TaskName, phrase: string) => (v: Violations) =>
  toTaskRequestFor(name, { text: phrase, region: undefined }, "", v, "phrase");
/** A request whose task needs the `region` field. */
const regionTask = (name: TaskName, region: BoundingBox | undefined) => (v: Violations) =>
  toTaskRequestFor(name, { text: "", region }, "", v);

/**
 * DetectObjects: a labels mode, or open-vocabulary detection of the given classes joined by
 * "<and>" (the engine's detectObjects does the same; see models/florence.ts).
 */
function detectionTask(labelsMode: DetectionLabelsMode, classes: readonly string[], v: Violations): TaskRequest | undefined {
  if (classes.length === 0) {
    const name = DETECTION_TASK.get(labelsMode);
    if (name === undefined) {
      v.add("invalid_argument", "labels_mode", `unknown value ${labelsMode}; use one of ${describeEnumValues(DetectionLabelsModeSchema)}`);
    }
    return name === undefined ? undefined : { task: name };
  }
  if (labelsMode !== DetectionLabelsMode.UNSPECIFIED && labelsMode !== DetectionLabelsMode.CLASSES) {
    v.add("invalid_argument", "labels_mode", "must be unset or DETECTION_LABELS_MODE_CLASSES when classes are given");
  }
  classes.forEach((c, i) => {
    if (c.trim() === "") v.add("missing_text", `classes[${i}]`, "a class name must not be blank");
  });
  return { task: "open_vocabulary_detection", text: classes.map((c) => c.trim()).join("<and>") };
}

export function createFlorenceService(deps: ServiceDeps): ServiceImpl<typeof FlorenceService> {
  return {
    captionImage: unaryCall(deps, async (req, ctx, record) => {
      const out = await runOnImages(deps, req, ctx, record, (v) => {
        const name = CAPTION_TASK.get(req.granularity);
        if (name === undefined) {
          v.add("invalid_argument", "granularity", `unknown value ${req.granularity}; use one of ${describeEnumValues(CaptionGranularitySchema)}`);
          return undefined;
        }
        return { task: name };
      });
      return { results: expectKind(out.results, "text").map(toTextResultMessage), timings: out.timings };
    }),
    detectObjects: unaryCall(deps, async (req, ctx, record) => {
      const out = await runOnImages(deps, req, ctx, record, (v) => detectionTask(req.labelsMode, req.classes, v));
      // With classes the engine answers open-vocabulary results; polygon instances keep their box.
      const detections = out.results.map((r) => (r.kind === "open_vocabulary" ? openVocabularyToDetections(r) : r));
      return { results: expectKind(detections, "detections").map(toDetectionsResultMessage), timings: out.timings };
    }),
    ocrImage: unaryCall(deps, async (req, ctx, record) => {
      const out = await runOnImages(deps, req, ctx, record, fixedTask("ocr"));
      return { results: expectKind(out.results, "text").map(toTextResultMessage), timings: out.timings };
    }),
    parseDocument: unaryCall(deps, async (req, ctx, record) => {
      const out = await runOnImages(deps, req, ctx, record, fixedTask("ocr_with_region"));
      return { results: expectKind(out.results, "ocr").map(toOcrResultMessage), timings: out.timings };
    }),
    groundPhrase: unaryCall(deps, async (req, ctx, record) => {
      const out = await runOnImages(deps, req, ctx, record, phraseTask("phrase_grounding", req.phrase));
      return { results: expectKind(out.results, "detections").map(toDetectionsResultMessage), timings: out.timings };
    }),
    segmentPhrase: unaryCall(deps, async (req, ctx, record) => {
      const out = await runOnImages(deps, req, ctx, record, phraseTask("referring_expression_segmentation", req.phrase));
      return { results: expectKind(out.results, "segmentation").map(toSegmentationResultMessage), timings: out.timings };
    }),
    segmentRegion: unaryCall(deps, async (req, ctx, record) => {
      const out = await runOnImages(deps, req, ctx, record, regionTask("region_to_segmentation", req.region));
      return { results: expectKind(out.results, "segmentation").map(toSegmentationResultMessage), timings: out.timings };
    }),
    classifyImageRegion: unaryCall(deps, async (req, ctx, record) => {
      const out = await runOnImages(deps, req, ctx, record, regionTask("region_to_category", req.region));
      return { results: expectKind(out.results, "text").map(toTextResultMessage), timings: out.timings };
    }),
    captionImageRegion: unaryCall(deps, async (req, ctx, record) => {
      const out = await runOnImages(deps, req, ctx, record, regionTask("region_to_description", req.region));
      return { results: expectKind(out.results, "text").map(toTextResultMessage), timings: out.timings };
    }),
    ocrImageRegion: unaryCall(deps, async (req, ctx, record) => {
      const out = await runOnImages(deps, req, ctx, record, regionTask("region_to_ocr", req.region));
      return { results: expectKind(out.results, "text").map(toTextResultMessage), timings: out.timings };
    }),
    run: unaryCall(deps, async (req, ctx, record) => {
      const out = await runOnImages(deps, req, ctx, record, (v) => toTaskRequest(req, "", v));
      return { results: out.results.map(toTaskResultMessage), timings: out.timings };
    }),
    runTasks: unaryCall(deps, async (req, ctx, record) => {
      const v = new Violations();
      const image = toImageInput(req.image, "image", v);
      const tasks: TaskRequest[] = [];
      if (req.tasks.length === 0) v.add("invalid_argument", "tasks", "no tasks: send at least one");
      else if (req.tasks.length > deps.options.maxTasksPerRequest) {
        v.add("invalid_argument", "tasks", `${req.tasks.length} tasks, but this server accepts at most ${deps.options.maxTasksPerRequest} per request; split the request`);
      } else {
        req.tasks.forEach((t, i) => {
          const task = toTaskRequest(t, `tasks[${i}].`, v);
          if (task !== undefined) tasks.push(task);
        });
      }
      const options = toGenerationOptions(req.options, "options", deps.options, v);
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
  };
}
