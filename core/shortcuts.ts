/**
 * The task shortcuts of the high-level API (captionImage, detectObjects), written once: which task
 * each caption granularity and detection labels mode runs, and how a class list becomes the text
 * of open-vocabulary detection. The engine's Florence class, the server's CaptionImage and
 * DetectObjects handlers and the client's options all read these.
 */
import type { DetectionsResult, OpenVocabularyResult } from "./results.js";
import type { TaskName } from "./tasks.js";

/** How much a caption says: <CAPTION>, <DETAILED_CAPTION> or <MORE_DETAILED_CAPTION>. */
export type CaptionGranularity = "normal" | "detailed" | "very_detailed";

/** "classes" = category names (<OD>), "captions" = dense region captions, "rois" = region proposals. */
export type LabelsMode = "classes" | "captions" | "rois";

/** The task of each caption granularity. */
export const CAPTION_TASKS: Readonly<Record<CaptionGranularity, TaskName>> = {
  normal: "caption",
  detailed: "detailed_caption",
  very_detailed: "more_detailed_caption",
};

/** The task of each detection labels mode (when no classes are given). */
export const DETECTION_TASKS: Readonly<Record<LabelsMode, TaskName>> = {
  classes: "object_detection",
  captions: "dense_region_caption",
  rois: "region_proposal",
};

/** The granularity of a caption that does not name one. */
export const DEFAULT_CAPTION_GRANULARITY: CaptionGranularity = "normal";

/** The labels mode of a detection that names neither a mode nor classes. */
export const DEFAULT_LABELS_MODE: LabelsMode = "classes";

/** The task detectObjects runs when it is given classes; their joined list is its text input. */
export const CLASSES_TASK: TaskName = "open_vocabulary_detection";

/** How Florence-2's fine-tuning data separates the phrases of one open-vocabulary query. */
export const CLASS_SEPARATOR = "<and>";

/** The options of captionImage beside the decoding parameters. */
export interface CaptionChoice {
  /** Default "normal" (<CAPTION>); "detailed" = <DETAILED_CAPTION>; "very_detailed" = <MORE_DETAILED_CAPTION>. */
  readonly granularity?: CaptionGranularity;
}

/** The options of detectObjects beside the decoding parameters. */
export interface DetectChoice {
  /**
   * Default "classes". With `classes` given, the engine ignores it and the server requires it to
   * be unset or "classes".
   */
  readonly labelsMode?: LabelsMode;
  /**
   * Detect only these classes: <OPEN_VOCABULARY_DETECTION> of the classes joined with "<and>".
   * Entries must not be blank. When the model answers with polygons, each instance becomes a
   * detection with the polygons' bounding box (run open_vocabulary_detection to keep them).
   */
  readonly classes?: readonly string[];
}

/** The class names trimmed, blank ones left out, joined with CLASS_SEPARATOR ("" when none is left). */
export function joinClasses(classes: readonly string[]): string {
  return classes
    .map((c) => c.trim())
    .filter((c) => c.length > 0)
    .join(CLASS_SEPARATOR);
}

/**
 * Folds an open-vocabulary answer (detectObjects with classes) into plain detections: polygon
 * instances keep their box.
 */
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
