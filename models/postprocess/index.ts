/** Florence-2 answer post-processing: decoded text -> typed results (docs/florence2-contract.md#8-post-processing). */
export type { MappedText, Span } from "./clean-text.js";
export { cleanStructured } from "./clean-text.js";
export type { ScoredPiece, TokenAlignment } from "./confidence.js";
export { alignPieces, answerConfidence, spanConfidence } from "./confidence.js";
export { binCentre, binsToCoordinates, binsToPoints, LOCATION_BINS } from "./dequantize.js";
export { GROUNDING_BANNED_PHRASES } from "./grounding.js";
export type { BoxParseOptions } from "./parse-boxes.js";
export { parseBoxes } from "./parse-boxes.js";
export { parseOcr } from "./parse-ocr.js";
export type { ParsedOpenVocabulary } from "./parse-open-vocabulary.js";
export { parseOpenVocabulary } from "./parse-open-vocabulary.js";
export type { PolygonParseOptions } from "./parse-polygons.js";
export { parsePolygons } from "./parse-polygons.js";
export { parseAnswerText, parsePureText } from "./parse-text.js";
export type { ParsedBox, ParsedOcrLine, ParsedPolygonInstance, ParsedText } from "./parsed.js";
export { maskToRle, polygonsToMask, polygonsToRle, rleArea, rleToMask } from "./rasterize.js";
export { toTaskResult } from "./to-result.js";
