/**
 * The decoded answer of one task to its typed result (models/results.ts): parse per the task's
 * output kind, de-quantize to original-image pixels, attach confidences (confidence.ts) and
 * rasterize segmentation masks (rasterize.ts). An empty or malformed answer gives an empty
 * result, never an error.
 */
import type {
  BoundingBox,
  Detection,
  ImageSize,
  OcrLine,
  Point,
  Polygon,
  SegmentedInstance,
  TaskResult,
} from "../results.js";
import type { TaskSpec } from "../tasks.js";
import { alignPieces, answerConfidence, type ScoredPiece, spanConfidence, type TokenAlignment } from "./confidence.js";
import { binsToBox, binsToPoints } from "./dequantize.js";
import { GROUNDING_BANNED_PHRASES } from "./grounding.js";
import { parseBoxes } from "./parse-boxes.js";
import { parseOcr } from "./parse-ocr.js";
import { parseOpenVocabulary } from "./parse-open-vocabulary.js";
import { parsePolygons } from "./parse-polygons.js";
import { parseAnswerText } from "./parse-text.js";
import { polygonsToRle } from "./rasterize.js";
import type { ParsedBox, ParsedOcrLine, ParsedPolygonInstance } from "./parsed.js";

/**
 * @param decodedText the generated sequence decoded WITH special tokens, decoder start included,
 *   e.g. "</s><s>car<loc_53><loc_333><loc_933><loc_774></s>".
 * @param pieces one entry per token of that sequence, in order, whose texts concatenate to
 *   `decodedText` (the decoder start token may be left out); see alignPieces.
 * @param imageSize the ORIGINAL image size (after EXIF orientation) the coordinates refer to.
 * @param generatedTokens reported as is in the result.
 * @throws FlorenceError "internal" only when `pieces` do not match `decodedText` (a caller bug).
 */
export function toTaskResult(
  task: TaskSpec,
  decodedText: string,
  pieces: readonly ScoredPiece[],
  imageSize: ImageSize,
  generatedTokens: number,
): TaskResult {
  const alignment = alignPieces(decodedText, pieces);
  const base = { task: task.name, imageSize, rawText: decodedText, generatedTokens };
  const detections = (boxes: readonly ParsedBox[]): Detection[] =>
    boxes.map((b) => toDetection(b, imageSize, alignment));
  switch (task.output) {
    case "pure_text":
      return {
        ...base,
        kind: "text",
        text: parseAnswerText(decodedText).text,
        confidence: answerConfidence(alignment),
      };
    case "description_with_bboxes":
      return { ...base, kind: "detections", detections: detections(parseBoxes(decodedText)) };
    case "bboxes":
      return {
        ...base,
        kind: "detections",
        detections: detections(parseBoxes(decodedText, { allowEmptyPhrase: true })),
      };
    case "phrase_grounding":
      return {
        ...base,
        kind: "detections",
        detections: detections(parseBoxes(decodedText, { bannedPhrases: GROUNDING_BANNED_PHRASES })),
      };
    case "ocr":
      return { ...base, kind: "ocr", lines: parseOcr(decodedText).map((l) => toOcrLine(l, imageSize, alignment)) };
    case "polygons":
      return {
        ...base,
        kind: "segmentation",
        instances: toInstances(parsePolygons(decodedText, { allowEmptyPhrase: true }), imageSize, alignment),
      };
    case "description_with_bboxes_or_polygons": {
      const parsed = parseOpenVocabulary(decodedText);
      return {
        ...base,
        kind: "open_vocabulary",
        detections: detections(parsed.boxes),
        instances: toInstances(parsed.instances, imageSize, alignment),
      };
    }
    default: {
      const unknown: never = task.output;
      throw new Error(`unhandled output kind ${String(unknown)}`);
    }
  }
}

/** A detection whose box has x1 <= x2 and y1 <= y2 (binsToBox), even when the model wrote it inverted. */
function toDetection(b: ParsedBox, size: ImageSize, alignment: TokenAlignment): Detection {
  return { label: b.label, box: binsToBox(b.bins, size), confidence: spanConfidence(alignment, b.locationSpans) };
}

function toOcrLine(l: ParsedOcrLine, size: ImageSize, alignment: TokenAlignment): OcrLine {
  const [p1, p2, p3, p4] = binsToPoints(l.bins, size) as [Point, Point, Point, Point];
  return {
    text: l.text,
    quad: [p1, p2, p3, p4],
    box: bounds([p1, p2, p3, p4]),
    confidence: spanConfidence(alignment, [...l.textSpans, ...l.locationSpans]),
  };
}

/**
 * Polygons without vertices (a lone, unpaired coordinate after `<sep>`) are left out, and so are
 * instances left without polygons; polygons of 1-2 vertices are kept (their mask is empty).
 */
function toInstances(
  parsed: readonly ParsedPolygonInstance[],
  size: ImageSize,
  alignment: TokenAlignment,
): SegmentedInstance[] {
  const instances: SegmentedInstance[] = [];
  for (const inst of parsed) {
    const polygons: Polygon[] = inst.polygons.map((p) => binsToPoints(p, size)).filter((p) => p.length > 0);
    if (polygons.length === 0) continue;
    instances.push({
      label: inst.label,
      polygons,
      box: bounds(polygons.flat()),
      mask: polygonsToRle(polygons, size),
      confidence: spanConfidence(alignment, inst.locationSpans),
    });
  }
  return instances;
}

/** Axis-aligned bounds of at least one point. */
function bounds(points: readonly Point[]): BoundingBox {
  let x1 = Number.POSITIVE_INFINITY;
  let y1 = Number.POSITIVE_INFINITY;
  let x2 = Number.NEGATIVE_INFINITY;
  let y2 = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    x1 = Math.min(x1, p.x);
    y1 = Math.min(y1, p.y);
    x2 = Math.max(x2, p.x);
    y2 = Math.max(y2, p.y);
  }
  return { x1, y1, x2, y2 };
}
