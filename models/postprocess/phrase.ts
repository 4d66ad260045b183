/** The reference's phrase extraction, shared by the box and polygon parsers (docs/florence2-contract.md#85-phrases). */
import { type MappedText, originSpans, type Span } from "./clean-text.js";
import { PY_SPACE_CLASS, pyStripRange } from "./python-text.js";

/** Tokens that end a phrase in the reference's box parsers. */
const BOX_PHRASE_STOPS = ["<od>", "</od>", "<box>", "</box>", "<bbox>", "</bbox>", "<loc_"];

function phrasePattern(stops: readonly string[]): RegExp {
  // Python: r"^\s*(.*?)(?=<od>|...)"; `.` there excludes only "\n" (JavaScript's also excludes "\r", U+2028, U+2029).
  return new RegExp(`^[${PY_SPACE_CLASS}]*[^\\n]*?(?=${stops.join("|")})`, "u");
}

/** For description_with_bboxes / phrase_grounding chunks. */
export const BOX_PHRASE = phrasePattern(BOX_PHRASE_STOPS);
/** For description_with_polygons chunks: a phrase also ends at `<poly>`. */
export const POLYGON_PHRASE = phrasePattern([...BOX_PHRASE_STOPS, "<poly>"]);

export interface Phrase {
  /** The phrase, stripped (Python `strip()`), not yet ASCII-filtered. */
  readonly text: string;
  readonly spans: readonly Span[];
}

/**
 * `re.search(pattern, chunk.text[from:]).group().strip()`, or undefined when the pattern does not
 * match (the reference then drops the chunk): the text from the chunk start up to the first stop
 * token, which must be reachable without crossing a newline.
 */
export function leadingPhrase(chunk: MappedText, pattern: RegExp, from = 0): Phrase | undefined {
  const m = pattern.exec(chunk.text.slice(from));
  if (m === null) return undefined;
  const { start, end } = pyStripRange(m[0]);
  return { text: m[0].slice(start, end), spans: originSpans(chunk, from + start, from + end) };
}
