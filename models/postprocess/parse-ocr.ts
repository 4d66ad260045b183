/**
 * Parser for OCR with regions (docs/florence2-contract.md#87-ocr-with-regions): each line is some
 * text (at least one character, no newline) followed by exactly eight location tokens, the quad
 * x1, y1, ..., x4, y4. The text is trimmed and, unlike box labels, keeps non-ASCII characters. (The reference's optional area
 * filter is off in every released configuration, so there is none here.)
 */
import { cleanStructured, originSpans } from "./clean-text.js";
import type { ParsedOcrLine } from "./parsed.js";
import { pyStripRange } from "./python-text.js";

const LINE = new RegExp(`([^\\n]+?)${"<loc_(\\d+)>".repeat(8)}`, "gu");

/** OCR lines of a decoded answer (special tokens included), in order. Never throws; junk gives []. */
export function parseOcr(decoded: string): ParsedOcrLine[] {
  const text = cleanStructured(decoded);
  const lines: ParsedOcrLine[] = [];
  for (const m of text.text.matchAll(LINE)) {
    const content = m[1] as string;
    const { start, end } = pyStripRange(content);
    const locStart = m.index + content.length;
    lines.push({
      text: content.slice(start, end),
      bins: m.slice(2, 10).map(Number),
      locationSpans: originSpans(text, locStart, m.index + m[0].length),
      textSpans: originSpans(text, m.index + start, m.index + end),
    });
  }
  return lines;
}
