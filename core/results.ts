/**
 * Typed results of every Florence-2 task, the same plain objects in-process (models/) and over the
 * network (client/). Coordinates are pixels of the original image at location-bin centres:
 * x = (k + 0.5) * width / 1000 (float, like Microsoft's original processor; the transformers port
 * truncates to integers instead).
 *
 * Confidences are real probabilities derived from the decoder's per-token log-probabilities (see
 * `confidence` fields); they are never a constant.
 */
import type { BoundingBox, ImageSize, Point, Polygon, RleMask } from "./geometry.js";
import type { TaskName } from "./tasks.js";

/** A detected object, grounded phrase or region proposal. */
export interface Detection {
  /** Class name, dense caption, grounded phrase; "" for region proposals. */
  readonly label: string;
  readonly box: BoundingBox;
  /**
   * exp(mean log-probability) of the four location tokens of this box, i.e. the geometric-mean
   * probability the decoder gave them (Microsoft's `avg_loc_scores`).
   */
  readonly confidence: number;
}

/** A segmented instance: one reference instance (one `<poly>` group, or the whole answer). */
export interface SegmentedInstance {
  readonly label: string;
  /** The polygons of this instance; most instances have one. */
  readonly polygons: readonly Polygon[];
  /** Bounding box of all polygon vertices. */
  readonly box: BoundingBox;
  /** The polygons rasterized at the original image size (even-odd fill), COCO RLE. */
  readonly mask: RleMask;
  /** exp(mean log-probability) of this instance's location tokens. */
  readonly confidence: number;
}

/** One text line found by OCR with regions. */
export interface OcrLine {
  readonly text: string;
  /** Four corners as the model emits them (clockwise from top-left for upright text). */
  readonly quad: readonly [Point, Point, Point, Point];
  /** Axis-aligned bounds of the quad. */
  readonly box: BoundingBox;
  /** exp(mean log-probability) of the line's text and location tokens. */
  readonly confidence: number;
}

/**
 * Why one image of a network call of several images has no result (ImageError in results.proto):
 * it cannot be decoded or is too large (reason "invalid_image"), or the call's region is outside
 * it ("invalid_region"). The other images of the call are answered as usual.
 */
export interface ImageFailure {
  /** The gRPC status code number (3 = INVALID_ARGUMENT; connect's Code enum has the same numbers). */
  readonly code: number;
  readonly message: string;
  /** Machine-readable error kind, e.g. "invalid_image". */
  readonly reason: string;
  /** The offending fields, e.g. "images[1]" or "region". */
  readonly violations: readonly { readonly field: string; readonly description: string }[];
}

interface ResultBase {
  readonly task: TaskName;
  /**
   * Set only by the client, on a result whose image failed alone in a call of several images; the
   * other fields are then empty (zeros, "", []). The engine reports such failures as runEach
   * outcomes instead and never sets it.
   */
  readonly error?: ImageFailure;
  /** Size of the input image the coordinates refer to. */
  readonly imageSize: ImageSize;
  /** The decoded model output with special tokens, e.g. "</s><s>car<loc_52>…</s>". */
  readonly rawText: string;
  /** Number of tokens the decoder generated (including forced BOS/EOS). */
  readonly generatedTokens: number;
}

/** Captions, OCR text, region category / description / OCR. */
export interface TextResult extends ResultBase {
  readonly kind: "text";
  /** The answer with special and location tokens removed and trimmed. */
  readonly text: string;
  /** exp(mean log-probability) over the generated tokens. */
  readonly confidence: number;
}

/** Object detection, dense region captions, region proposals, phrase grounding. */
export interface DetectionsResult extends ResultBase {
  readonly kind: "detections";
  readonly detections: readonly Detection[];
}

/** Referring-expression and region segmentation. */
export interface SegmentationResult extends ResultBase {
  readonly kind: "segmentation";
  readonly instances: readonly SegmentedInstance[];
}

/** OCR with regions. */
export interface OcrResult extends ResultBase {
  readonly kind: "ocr";
  readonly lines: readonly OcrLine[];
}

/** Open-vocabulary detection: the model answers with boxes or with polygons. */
export interface OpenVocabularyResult extends ResultBase {
  readonly kind: "open_vocabulary";
  readonly detections: readonly Detection[];
  readonly instances: readonly SegmentedInstance[];
}

export type TaskResult = TextResult | DetectionsResult | SegmentationResult | OcrResult | OpenVocabularyResult;

/** The `kind` tags of TaskResult. */
export type ResultKind = TaskResult["kind"];
