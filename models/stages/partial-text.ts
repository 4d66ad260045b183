/**
 * The answer text while it is being generated (CallOptions.onText): the decoded tokens so far,
 * cleaned the way the final answer is (parse-text.ts), minus the characters the next tokens may
 * still change, so that every text sent is a prefix of the final one (docs/ARCHITECTURE.md, RunStream).
 */
import type { OutputKind } from "../../core/tasks.js";
import type { TextSoFar } from "../inputs.js";
import { BOS, EOS, PAD } from "../postprocess/clean-text.js";
import { PY_SPACE_CLASS } from "../postprocess/python-text.js";

/** The interval CallOptions.textIntervalMs defaults to: a UI sees about ten updates a second. */
export const DEFAULT_TEXT_INTERVAL_MS = 100;

const LOCATION_TOKEN = /<loc_\d+>/gu;
/** Python's whitespace, which the final answer is stripped of (U+001C..U+001F and U+0085 too). */
const LEADING_SPACE = new RegExp(`^[${PY_SPACE_CLASS}]+`, "u");
/**
 * A trailing piece the next token may still change: whitespace (the final answer is stripped, and
 * the tokenizer's space clean-up deletes a space before ".", ",", "n't", "'s" ...), the start of
 * such a clean-up pattern (" n", " n'", " '", " 'v", " 'r"), a quote (" ' " becomes "'", unless
 * the next token is "!" or another mark whose clean-up, which runs first, takes that second
 * space), or U+FFFD, the stand-in for a UTF-8 character whose other bytes are still to come.
 */
const UNSETTLED_TAIL = new RegExp(`(?:[${PY_SPACE_CLASS}]+(?:n'?|'[vr]?)?|'|\uFFFD+)$`, "u");

/**
 * The settled part of the answer for `decoded`, the tokenizer's text of the tokens so far.
 * Text tasks (`pure_text`) drop location tokens like their final `text`; the others keep them, as
 * their raw text does.
 */
export function settledText(decoded: string, output: OutputKind): string {
  // cleanStructured's removals, without the character origins the parsers need.
  let text = [BOS, EOS, PAD].reduce((t, token) => t.split(token).join(""), decoded);
  if (output === "pure_text") text = text.replace(LOCATION_TOKEN, "");
  text = text.replace(LEADING_SPACE, "");
  // Loop: removing a U+FFFD can uncover whitespace, and the other way round.
  for (let cut = text.replace(UNSETTLED_TAIL, ""); cut !== text; cut = cut.replace(UNSETTLED_TAIL, "")) text = cut;
  return text;
}

/** Whether text decoded from some tokens ends where the next tokens cannot change it (see UNSETTLED_TAIL). */
function endsSettled(decoded: string): boolean {
  return !UNSETTLED_TAIL.test(decoded);
}

/**
 * Tokens decoded again in full once the part decoded since the last checkpoint reaches this many
 * (see textReporter).
 */
export const CHECKPOINT_TOKENS = 64;

export interface TextReporterOptions {
  /** The item's index (CallOptions.onText's imageIndex). */
  readonly itemIndex: number;
  /** Least time between two reports, in ms; 0 reports every change. */
  readonly intervalMs: number;
  /** The tokenizer's text of some tokens (FlorenceTokenizer.decode). */
  readonly decode: (ids: readonly number[]) => string;
  /** How the task's answer is parsed (settledText). */
  readonly output: OutputKind;
  readonly onText: (text: TextSoFar) => void;
  /** Clock in ms; default performance.now. */
  readonly now?: () => number;
}

/**
 * A token callback that collects an item's tokens and reports its settled text at most once per
 * interval, and only when it grew. The text is decoded only when a report is due, and
 * incrementally: decoding is byte-level BPE plus a space clean-up, so the text of tokens A + B is
 * the text of A followed by that of B whenever A's text ends settled (no partial UTF-8 character,
 * no clean-up pattern begun). Such an end is kept as a checkpoint, and a report decodes only the
 * tokens after it; every CHECKPOINT_TOKENS tokens all are decoded again to move the checkpoint. A
 * full decode per report would cost O(n^2) over a long answer (the tokenizer takes about 15 ms for
 * 500 tokens here).
 */
export function textReporter(options: TextReporterOptions): (token: { readonly id: number }) => void {
  const { itemIndex, intervalMs, decode, output, onText } = options;
  const now = options.now ?? (() => performance.now());
  const ids: number[] = [];
  /** decode(ids.slice(0, checkpoint)), which ends settled. */
  let checkpoint = 0;
  let checkpointText = "";
  let reported = "";
  let reportedAt = Number.NEGATIVE_INFINITY;
  const decodedSoFar = (): string => {
    if (ids.length - checkpoint < CHECKPOINT_TOKENS) return checkpointText + decode(ids.slice(checkpoint));
    const decoded = decode(ids);
    if (endsSettled(decoded)) {
      checkpoint = ids.length;
      checkpointText = decoded;
    }
    return decoded;
  };
  return (token) => {
    ids.push(token.id);
    const at = now();
    if (at - reportedAt < intervalMs) return;
    const text = settledText(decodedSoFar(), output);
    if (text === reported) return;
    reported = text;
    reportedAt = at;
    onText({ imageIndex: itemIndex, text, tokens: ids.length });
  };
}
