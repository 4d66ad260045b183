/**
 * Parsers for answers made of phrases followed by boxes: object detection and dense region
 * captions (`description_with_bboxes`), region proposals (`bboxes`), phrase grounding and the box
 * form of open-vocabulary detection. Python reference semantics
 * (docs/florence2-contract.md#84-boxes-and-region-proposals): a chunk is a phrase
 * followed by a run of at least four location tokens; every complete group of four in the run is
 * one box with the chunk's phrase; a trailing 1-3 tokens are ignored.
 */
import { cleanStructured, originSpans, removeToken, sliceMapped } from "./clean-text.js";
import type { ParsedBox } from "./parsed.js";
import { BOX_PHRASE, leadingPhrase } from "./phrase.js";
import { asciiOnly } from "./python-text.js";

export interface BoxParseOptions {
  /**
   * Region proposals: chunks are bare runs of location tokens, any text is ignored and labels are "".
   * Otherwise a run must follow some text; a run with no text before it is dropped. Default false.
   */
  readonly allowEmptyPhrase?: boolean;
  /** Phrases to drop (exact, case-sensitive, compared before the ASCII filter). Default: none. */
  readonly bannedPhrases?: ReadonlySet<string>;
}

const PHRASE_CHUNK = /[^<]+(?:<loc_\d+>){4,}/gu;
const BARE_CHUNK = /(?:<loc_\d+>){4,}/gu;
const BOX = /<loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)>/gu;

/** Boxes of a decoded answer (special tokens included), in order. Never throws; junk gives []. */
export function parseBoxes(decoded: string, options: BoxParseOptions = {}): ParsedBox[] {
  const allowEmpty = options.allowEmptyPhrase ?? false;
  const text = cleanStructured(decoded);
  const boxes: ParsedBox[] = [];
  for (const c of text.text.matchAll(allowEmpty ? BARE_CHUNK : PHRASE_CHUNK)) {
    // The reference removes the first "<ground>" and "<obj>" (neither is a Florence-2 token; no-ops in practice).
    const chunk = removeToken(
      removeToken(sliceMapped(text, c.index, c.index + c[0].length), "<ground>", 1),
      "<obj>",
      1,
    );
    if (chunk.text === "" && !allowEmpty) continue;
    const phrase = leadingPhrase(chunk, BOX_PHRASE);
    if (phrase === undefined) continue;
    if (options.bannedPhrases?.has(phrase.text)) continue;
    // A bare run starts with "<loc_", so its phrase is always "".
    const label = asciiOnly(phrase.text);
    for (const m of chunk.text.matchAll(BOX)) {
      boxes.push({
        label,
        bins: [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])],
        locationSpans: originSpans(chunk, m.index, m.index + m[0].length),
        textSpans: phrase.spans,
      });
    }
  }
  return boxes;
}
