/**
 * Test helper: our parsers' output in the shape of the Python reference's
 * `post_process_generation(text, task, image_size)[task]` (docs/florence2-contract.md#810-result-shapes),
 * with float bin-centre coordinates, so tests can compare with the worked examples
 * (docs/florence2-contract.md#811-worked-examples) and the golden file directly.
 */

import { binsToCoordinates } from "../../../models/postprocess/dequantize.js";
import { GROUNDING_BANNED_PHRASES } from "../../../models/postprocess/grounding.js";
import { parseBoxes } from "../../../models/postprocess/parse-boxes.js";
import { parseOcr } from "../../../models/postprocess/parse-ocr.js";
import { parseOpenVocabulary } from "../../../models/postprocess/parse-open-vocabulary.js";
import { parsePolygons } from "../../../models/postprocess/parse-polygons.js";
import { parsePureText } from "../../../models/postprocess/parse-text.js";
import type { ParsedBox, ParsedPolygonInstance } from "../../../models/postprocess/parsed.js";
import type { ImageSize } from "../../../models/results.js";
import type { OutputKind } from "../../../models/tasks.js";

export type ReferenceValue =
  | string
  | { bboxes: number[][]; labels: string[] }
  | { quad_boxes: number[][]; labels: string[] }
  | { polygons: number[][][]; labels: string[] }
  | { bboxes: number[][]; bboxes_labels: string[]; polygons: number[][][]; polygons_labels: string[] };

export function referenceShape(kind: OutputKind, decoded: string, size: ImageSize): ReferenceValue {
  const boxes = (parsed: readonly ParsedBox[]) => ({
    bboxes: parsed.map((b) => binsToCoordinates(b.bins, size)),
    labels: parsed.map((b) => b.label),
  });
  const polygons = (parsed: readonly ParsedPolygonInstance[]) => ({
    polygons: parsed.map((i) => i.polygons.map((p) => binsToCoordinates(p, size))),
    labels: parsed.map((i) => i.label),
  });
  switch (kind) {
    case "pure_text":
      return parsePureText(decoded).text;
    case "description_with_bboxes":
      return boxes(parseBoxes(decoded));
    case "bboxes":
      return boxes(parseBoxes(decoded, { allowEmptyPhrase: true }));
    case "phrase_grounding":
      return boxes(parseBoxes(decoded, { bannedPhrases: GROUNDING_BANNED_PHRASES }));
    case "ocr": {
      const lines = parseOcr(decoded);
      return { quad_boxes: lines.map((l) => binsToCoordinates(l.bins, size)), labels: lines.map((l) => l.text) };
    }
    case "polygons":
      return polygons(parsePolygons(decoded, { allowEmptyPhrase: true }));
    case "description_with_bboxes_or_polygons": {
      const ovd = parseOpenVocabulary(decoded);
      const b = boxes(ovd.boxes);
      const p = polygons(ovd.instances);
      return { bboxes: b.bboxes, bboxes_labels: b.labels, polygons: p.polygons, polygons_labels: p.labels };
    }
  }
}

/** Every number in a nested value, in order (for tolerance comparisons). */
export function numbersOf(v: unknown): number[] {
  if (typeof v === "number") return [v];
  if (Array.isArray(v)) return v.flatMap(numbersOf);
  if (v !== null && typeof v === "object") return Object.values(v).flatMap(numbersOf);
  return [];
}

/** The value with every number replaced by 0 (to compare structure and strings exactly). */
export function withoutNumbers(v: unknown): unknown {
  if (typeof v === "number") return 0;
  if (Array.isArray(v)) return v.map(withoutNumbers);
  if (v !== null && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutNumbers(x)]));
  return v;
}
