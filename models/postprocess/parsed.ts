/**
 * What the parsers return: the reference's parse in location bins (not yet pixels), plus, for
 * every element, the decoded-text ranges it was read from. `locationSpans` cover its `<loc_N>`
 * tokens, `textSpans` its label or text; confidence.ts turns them into per-token probabilities.
 */
import type { Span } from "./clean-text.js";

/** One box of an object-detection, dense-caption, region-proposal, grounding or open-vocabulary answer. */
export interface ParsedBox {
  /** The phrase before the box, trimmed and (like the reference) ASCII only; "" for region proposals. */
  readonly label: string;
  /** [x1, y1, x2, y2] location bins, in the order the model wrote them. */
  readonly bins: readonly [number, number, number, number];
  /** The box's four location tokens. */
  readonly locationSpans: readonly Span[];
  /** The phrase (a phrase with several boxes gives each of them the same span). */
  readonly textSpans: readonly Span[];
}

/** One polygon instance: a `<poly>…</poly>` group, or a whole run of location tokens. */
export interface ParsedPolygonInstance {
  /** The phrase before the polygons; "" for the segmentation tasks, which have none. */
  readonly label: string;
  /** Each polygon as bins [x1, y1, x2, y2, ...], even length (an odd last bin is dropped, as in the reference). */
  readonly polygons: readonly (readonly number[])[];
  /** The location tokens the coordinates were read from (a dropped odd bin is not included). */
  readonly locationSpans: readonly Span[];
  readonly textSpans: readonly Span[];
}

/** One line of OCR with regions. */
export interface ParsedOcrLine {
  /** The line's text, trimmed (not ASCII-filtered). */
  readonly text: string;
  /** The quad's eight bins x1, y1, ..., x4, y4. */
  readonly bins: readonly number[];
  readonly locationSpans: readonly Span[];
  readonly textSpans: readonly Span[];
}

/** A pure-text answer. */
export interface ParsedText {
  readonly text: string;
  /** Where `text` lies in the decoded text (several spans when special tokens were removed from inside it). */
  readonly textSpans: readonly Span[];
}
