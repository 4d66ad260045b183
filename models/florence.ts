/**
 * The high-level API users know from Florence-2's Python wrappers (Roboflow's inference_models),
 * in TypeScript naming: captionImage, detectObjects, ocrImage, parseDocument, groundPhrase,
 * segmentPhrase, segmentRegion, classifyImageRegion, captionImageRegion, ocrImageRegion, plus a
 * generic run(). Every method takes one image or an array and returns one result per image.
 *
 * This file only maps method arguments to task requests; the engine does the work.
 */
import type { EngineAvailability, EngineStats, FlorenceEngine, ModelInfo, TaskRequest } from "./engine.js";
import { FlorenceError } from "./errors.js";
import type { GenerationOptions, ImageInput, Region } from "./inputs.js";
import type { DetectionsResult, OcrResult, OpenVocabularyResult, SegmentationResult, TaskResult, TextResult } from "./results.js";
import type { TaskName } from "./tasks.js";

export type CaptionGranularity = "normal" | "detailed" | "very_detailed";

/** "classes" = category names (<OD>), "captions" = dense region captions, "rois" = region proposals. */
export type LabelsMode = "classes" | "captions" | "rois";

export interface CaptionOptions extends GenerationOptions {
  /** Default "normal" (<CAPTION>); "detailed" = <DETAILED_CAPTION>; "very_detailed" = <MORE_DETAILED_CAPTION>. */
  readonly granularity?: CaptionGranularity;
}

export interface DetectOptions extends GenerationOptions {
  /** Default "classes". Ignored when `classes` is given. */
  readonly labelsMode?: LabelsMode;
  /**
   * Detect only these classes: <OPEN_VOCABULARY_DETECTION> of the classes joined with "<and>".
   * When the model answers with polygons, each instance becomes a detection with the polygons'
   * bounding box (use run("open_vocabulary_detection") to keep the polygons).
   */
  readonly classes?: readonly string[];
}

export type Images = ImageInput | readonly ImageInput[];

const CAPTION_TASKS: Readonly<Record<CaptionGranularity, TaskName>> = {
  normal: "caption",
  detailed: "detailed_caption",
  very_detailed: "more_detailed_caption",
};

const DETECTION_TASKS: Readonly<Record<LabelsMode, TaskName>> = {
  classes: "object_detection",
  captions: "dense_region_caption",
  rois: "region_proposal",
};

/** A bare Uint8Array is one encoded image; everything array-like of images is a batch. */
export function toImageList(images: Images): readonly ImageInput[] {
  if (images instanceof Uint8Array) return [images];
  if (Array.isArray(images)) return images as readonly ImageInput[];
  return [images as ImageInput];
}

/** Joins open-vocabulary classes the way Florence-2's fine-tuning data separates phrases. */
export function joinClasses(classes: readonly string[]): string {
  const cleaned = classes.map((c) => c.trim()).filter((c) => c.length > 0);
  if (cleaned.length === 0) {
    throw new FlorenceError("missing_text", "detectObjects: `classes` is empty; pass at least one class name, or omit it to detect all objects", {
      violations: [{ field: "classes", description: "must contain at least one non-blank class name" }],
    });
  }
  return cleaned.join("<and>");
}

/** Folds an open-vocabulary answer into plain detections: polygon instances keep their box. */
export function openVocabularyToDetections(r: OpenVocabularyResult): DetectionsResult {
  const fromInstances = r.instances.map((i) => ({ label: i.label, box: i.box, confidence: i.confidence }));
  return {
    kind: "detections",
    task: r.task,
    imageSize: r.imageSize,
    rawText: r.rawText,
    generatedTokens: r.generatedTokens,
    detections: [...r.detections, ...fromInstances],
  };
}

const EMPTY_STATS: EngineStats = {
  batches: 0,
  batchedItems: 0,
  largestBatch: 0,
  queuedItems: 0,
  decoderSteps: 0,
  decoderRows: 0,
  visionImages: 0,
  visionCache: { hits: 0, misses: 0, evictions: 0, entries: 0, bytes: 0, maxBytes: 0 },
};

export class Florence implements FlorenceEngine {
  constructor(private readonly engine: FlorenceEngine) {}

  get info(): ModelInfo {
    return this.engine.info;
  }

  run(request: TaskRequest, images: readonly ImageInput[], options?: GenerationOptions): Promise<TaskResult[]> {
    return this.engine.run(request, images, options);
  }

  runTasks(requests: readonly TaskRequest[], image: ImageInput, options?: GenerationOptions): Promise<TaskResult[]> {
    return this.engine.runTasks(requests, image, options);
  }

  /** Batching and vision-cache counters (zeros for an engine that keeps none). */
  async stats(): Promise<EngineStats> {
    return (await this.engine.stats?.()) ?? EMPTY_STATS;
  }

  onAvailabilityChange(listener: (availability: EngineAvailability) => void): () => void {
    return this.engine.onAvailabilityChange?.(listener) ?? (() => {});
  }

  close(): Promise<void> {
    return this.engine.close();
  }

  captionImage(images: Images, options: CaptionOptions = {}): Promise<TextResult[]> {
    const task = CAPTION_TASKS[options.granularity ?? "normal"];
    return this.typed({ task }, images, options, "text");
  }

  async detectObjects(images: Images, options: DetectOptions = {}): Promise<DetectionsResult[]> {
    if (options.classes !== undefined) {
      const request: TaskRequest = { task: "open_vocabulary_detection", text: joinClasses(options.classes) };
      const results = await this.typed(request, images, options, "open_vocabulary");
      return results.map(openVocabularyToDetections);
    }
    return this.typed({ task: DETECTION_TASKS[options.labelsMode ?? "classes"] }, images, options, "detections");
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
      if (r.kind !== kind) throw new FlorenceError("internal", `task ${request.task} produced a ${r.kind} result, expected ${kind}`);
      return r as Extract<TaskResult, { kind: K }>;
    });
  }
}
