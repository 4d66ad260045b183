/**
 * The high-level API users know from Florence-2's Python wrappers (Roboflow's inference_models),
 * in TypeScript naming: captionImage, detectObjects, ocrImage, parseDocument, groundPhrase,
 * segmentPhrase, segmentRegion, classifyImageRegion, captionImageRegion, ocrImageRegion, plus a
 * generic run(). Every method takes one image or an array and returns one result per image.
 *
 * This file only maps method arguments to task requests; the engine does the work.
 */
import type { OneOrMany } from "../core/inputs.js";
import {
  CAPTION_TASKS,
  type CaptionChoice,
  CLASSES_TASK,
  DEFAULT_CAPTION_GRANULARITY,
  DEFAULT_LABELS_MODE,
  DETECTION_TASKS,
  type DetectChoice,
  joinClasses,
  openVocabularyToDetections,
} from "../core/shortcuts.js";
import type {
  EngineAvailability,
  EngineStats,
  FlorenceEngine,
  ImageOutcome,
  ModelInfo,
  TaskRequest,
} from "./engine.js";
import { FlorenceError } from "./errors.js";
import type { GenerationOptions, ImageInput, Region } from "./inputs.js";
import type { DetectionsResult, OcrResult, SegmentationResult, TaskResult, TextResult } from "./results.js";

export type { CaptionGranularity, LabelsMode } from "../core/shortcuts.js";
export { openVocabularyToDetections } from "../core/shortcuts.js";

export interface CaptionOptions extends GenerationOptions, CaptionChoice {}

export interface DetectOptions extends GenerationOptions, DetectChoice {}

export type Images = OneOrMany<ImageInput>;

/** A bare Uint8Array is one encoded image; everything array-like of images is a batch. */
function toImageList(images: Images): readonly ImageInput[] {
  if (images instanceof Uint8Array) return [images];
  if (Array.isArray(images)) return images as readonly ImageInput[];
  return [images as ImageInput];
}

/** The text input of open-vocabulary detection for `classes`; at least one must not be blank. */
function classesText(classes: readonly string[]): string {
  const joined = joinClasses(classes);
  if (joined === "") {
    throw new FlorenceError(
      "missing_text",
      "detectObjects: `classes` is empty; pass at least one class name, or omit it to detect all objects",
      {
        violations: [{ field: "classes", description: "must contain at least one non-blank class name" }],
      },
    );
  }
  return joined;
}

export class Florence implements FlorenceEngine {
  constructor(private readonly engine: FlorenceEngine) {}

  get info(): ModelInfo {
    return this.engine.info;
  }

  run(request: TaskRequest, images: readonly ImageInput[], options?: GenerationOptions): Promise<TaskResult[]> {
    return this.engine.run(request, images, options);
  }

  /** Like run, but an image that cannot be used fails alone (see FlorenceEngine.runEach). */
  runEach(request: TaskRequest, images: readonly ImageInput[], options?: GenerationOptions): Promise<ImageOutcome[]> {
    return this.engine.runEach(request, images, options);
  }

  runTasks(requests: readonly TaskRequest[], image: ImageInput, options?: GenerationOptions): Promise<TaskResult[]> {
    return this.engine.runTasks(requests, image, options);
  }

  /** Batching and vision-cache counters (zeros for an engine that keeps none). */
  stats(): Promise<EngineStats> {
    return this.engine.stats();
  }

  onAvailabilityChange(listener: (availability: EngineAvailability) => void): () => void {
    return this.engine.onAvailabilityChange?.(listener) ?? (() => {});
  }

  close(): Promise<void> {
    return this.engine.close();
  }

  captionImage(images: Images, options: CaptionOptions = {}): Promise<TextResult[]> {
    const task = CAPTION_TASKS[options.granularity ?? DEFAULT_CAPTION_GRANULARITY];
    return this.typed({ task }, images, options, "text");
  }

  async detectObjects(images: Images, options: DetectOptions = {}): Promise<DetectionsResult[]> {
    if (options.classes !== undefined) {
      const request: TaskRequest = { task: CLASSES_TASK, text: classesText(options.classes) };
      const results = await this.typed(request, images, options, "open_vocabulary");
      return results.map(openVocabularyToDetections);
    }
    return this.typed(
      { task: DETECTION_TASKS[options.labelsMode ?? DEFAULT_LABELS_MODE] },
      images,
      options,
      "detections",
    );
  }

  ocrImage(images: Images, options: GenerationOptions = {}): Promise<TextResult[]> {
    return this.typed({ task: "ocr" }, images, options, "text");
  }

  /** OCR with regions: text lines with their quadrilaterals. */
  parseDocument(images: Images, options: GenerationOptions = {}): Promise<OcrResult[]> {
    return this.typed({ task: "ocr_with_region" }, images, options, "ocr");
  }

  groundPhrase(images: Images, phrase: string, options: GenerationOptions = {}): Promise<DetectionsResult[]> {
    return this.typed({ task: "phrase_grounding", text: phrase }, images, options, "detections");
  }

  segmentPhrase(images: Images, phrase: string, options: GenerationOptions = {}): Promise<SegmentationResult[]> {
    return this.typed({ task: "referring_expression_segmentation", text: phrase }, images, options, "segmentation");
  }

  segmentRegion(images: Images, region: Region, options: GenerationOptions = {}): Promise<SegmentationResult[]> {
    return this.typed({ task: "region_to_segmentation", region }, images, options, "segmentation");
  }

  classifyImageRegion(images: Images, region: Region, options: GenerationOptions = {}): Promise<TextResult[]> {
    return this.typed({ task: "region_to_category", region }, images, options, "text");
  }

  captionImageRegion(images: Images, region: Region, options: GenerationOptions = {}): Promise<TextResult[]> {
    return this.typed({ task: "region_to_description", region }, images, options, "text");
  }

  ocrImageRegion(images: Images, region: Region, options: GenerationOptions = {}): Promise<TextResult[]> {
    return this.typed({ task: "region_to_ocr", region }, images, options, "text");
  }

  private async typed<K extends TaskResult["kind"]>(
    request: TaskRequest,
    images: Images,
    options: GenerationOptions,
    kind: K,
  ): Promise<Array<Extract<TaskResult, { kind: K }>>> {
    const results = await this.engine.run(request, toImageList(images), options);
    return results.map((r) => {
      if (r.kind !== kind)
        throw new FlorenceError("internal", `task ${request.task} produced a ${r.kind} result, expected ${kind}`);
      return r as Extract<TaskResult, { kind: K }>;
    });
  }
}
