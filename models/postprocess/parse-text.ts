/**
 * Pure-text answers (captions, OCR, region category / description / OCR, free-form prompts).
 *
 * The reference answer (docs/florence2-contract.md#83-pure-text, native behaviour) is the decoded
 * text without `<s>` and `</s>`, trimmed; for the region_to_* tasks it still contains the location tokens the model echoes, e.g.
 * "dog<loc_120><loc_300><loc_480><loc_890>". We also remove `<pad>` (batch padding, which the
 * reference keeps in pure text only); docs/florence2-contract.md#11-deliberate-differences says why.
 */
import { cleanStructured, originSpans, removeMatches, stripMapped } from "./clean-text.js";
import type { ParsedText } from "./parsed.js";

const LOCATION_TOKEN = /<loc_\d+>/gu;

/** The reference pure-text answer, location tokens kept. Never throws. */
export function parsePureText(decoded: string): ParsedText {
  const text = stripMapped(cleanStructured(decoded));
  return { text: text.text, textSpans: originSpans(text, 0, text.text.length) };
}

/** The answer as our typed results give it: also without location tokens, trimmed again. */
export function parseAnswerText(decoded: string): ParsedText {
  const text = stripMapped(removeMatches(stripMapped(cleanStructured(decoded)), LOCATION_TOKEN));
  return { text: text.text, textSpans: originSpans(text, 0, text.text.length) };
}
