/**
 * Confidences from the decoder's per-token log-probabilities.
 *
 * How a confidence is computed (this text is meant to be quoted to users):
 *
 *   Every generated token has a log-probability: the natural log of the probability the decoder
 *   gave it when it was chosen (log-softmax of the logits after the logits processors, such as the
 *   no-repeat-3-gram rule; with beam search, the per-step transition score of the returned beam).
 *   A confidence is the geometric mean of the probabilities of a set of tokens,
 *   exp(mean of their log-probabilities), a number in (0, 1]. The set depends on the result:
 *
 *   - Boxes (object detection, dense region captions, region proposals, phrase grounding,
 *     open-vocabulary boxes): the four location tokens `<loc_x1><loc_y1><loc_x2><loc_y2>` of the
 *     box. This is `avg_loc_scores` of Microsoft's Florence-2 processor. The label's tokens do not
 *     count, so a box shared by several labels' phrases scores on its own coordinates.
 *   - Segmented instances: all location tokens of the instance's polygons (a dropped, unpaired
 *     last coordinate does not count; `<poly>`, `</poly>` and `<sep>` do not count).
 *   - OCR lines: the tokens of the line's text (without surrounding spaces) and its eight location
 *     tokens.
 *   - Text answers (captions, OCR, region category / description / OCR): every generated token
 *     except `<s>`, `</s>` and `<pad>`: the decoder start token is not generated, `<s>` is forced
 *     as the first token (probability 1 by construction), `</s>` only ends the answer and `<pad>`
 *     only fills batch rows. Location tokens the model echoes in region answers count. For an
 *     empty answer it is the probability of the `</s>` that ended it.
 *
 *   A token belongs to an element when its characters overlap the element's characters in the
 *   decoded text (a token that spans a label and the following space counts for the label). The
 *   probabilities are those of the model's own search: with beam search they are conditioned on
 *   the returned beam, not calibrated detection scores.
 */
import { FlorenceError } from "../errors.js";
import { EOS, PAD, BOS, type Span } from "./clean-text.js";

/** A token of the decoded sequence with its log-probability. */
export interface ScoredPiece {
  /** The token's text in the decoded string (special tokens literally, e.g. "<loc_52>", "</s>"). */
  readonly text: string;
  /** Natural-log probability of the token when it was generated; 0 for forced tokens; ignored for the decoder start token. */
  readonly logprob: number;
}

/** Pieces placed on the decoded text: token i covers [starts[i], ends[i]). */
export interface TokenAlignment {
  readonly pieces: readonly ScoredPiece[];
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  /** Whether pieces[0] is the decoder start token (`</s>` at offset 0), which was not generated. */
  readonly hasDecoderStart: boolean;
}

/**
 * Places `pieces` on `decoded`. The pieces must concatenate to `decoded`, or to `decoded` without
 * its leading decoder start token `</s>` (callers may leave out the token that was not generated).
 * Anything else is a bug in the caller: FlorenceError "internal".
 */
export function alignPieces(decoded: string, pieces: readonly ScoredPiece[]): TokenAlignment {
  const joined = pieces.map((p) => p.text).join("");
  let offset = 0;
  if (joined !== decoded) {
    if (decoded !== EOS + joined) {
      throw new FlorenceError(
        "internal",
        `token pieces do not match the decoded text: ${JSON.stringify(clip(joined))} vs ${JSON.stringify(clip(decoded))}`,
      );
    }
    offset = EOS.length;
  }
  const starts: number[] = [];
  const ends: number[] = [];
  for (const p of pieces) {
    starts.push(offset);
    offset += p.text.length;
    ends.push(offset);
  }
  const hasDecoderStart = starts[0] === 0 && pieces[0]?.text === EOS;
  return { pieces, starts, ends, hasDecoderStart };
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/**
 * exp(mean log-probability) of the tokens overlapping any of `spans`; a token [a, b) overlaps a
 * span [s, e) unless b <= s or a >= e (Microsoft's `_find_matched_token_indices`). 0 when no
 * token overlaps (no element is made of nothing, so this only guards misuse).
 */
export function spanConfidence(alignment: TokenAlignment, spans: readonly Span[]): number {
  const { starts, ends, pieces } = alignment;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < pieces.length; i++) {
    const a = starts[i] as number;
    const b = ends[i] as number;
    if (spans.some((s) => !(b <= s.start || a >= s.end))) {
      sum += (pieces[i] as ScoredPiece).logprob;
      n++;
    }
  }
  return n === 0 ? 0 : Math.exp(sum / n);
}

const NOT_ANSWER: ReadonlySet<string> = new Set([BOS, EOS, PAD]);

/** Confidence of a text answer (see the module comment). */
export function answerConfidence(alignment: TokenAlignment): number {
  const { pieces } = alignment;
  let sum = 0;
  let n = 0;
  for (const p of pieces) {
    if (NOT_ANSWER.has(p.text)) continue;
    sum += p.logprob;
    n++;
  }
  if (n > 0) return Math.exp(sum / n);
  for (let i = pieces.length - 1; i >= (alignment.hasDecoderStart ? 1 : 0); i--) {
    const p = pieces[i] as ScoredPiece;
    if (p.text === EOS) return Math.exp(p.logprob);
  }
  return 0;
}
