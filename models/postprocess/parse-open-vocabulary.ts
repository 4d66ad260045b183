/**
 * Open-vocabulary detection (`description_with_bboxes_or_polygons`,
 * docs/florence2-contract.md#89-open-vocabulary-detection): the model answers
 * either with boxes or, when the answer contains `<poly>`, with polygons; never both.
 */
import { parseBoxes } from "./parse-boxes.js";
import { parsePolygons } from "./parse-polygons.js";
import type { ParsedBox, ParsedPolygonInstance } from "./parsed.js";

export interface ParsedOpenVocabulary {
  readonly boxes: readonly ParsedBox[];
  readonly instances: readonly ParsedPolygonInstance[];
}

/** Never throws; junk gives no boxes and no instances. */
export function parseOpenVocabulary(decoded: string): ParsedOpenVocabulary {
  // The reference tests the text as decoded, before removing special tokens.
  if (decoded.includes("<poly>")) return { boxes: [], instances: parsePolygons(decoded) };
  return { boxes: parseBoxes(decoded), instances: [] };
}
