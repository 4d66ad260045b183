/**
 * Removing the BART special tokens from the decoded text while remembering where every remaining
 * character came from, so a parsed element (a label, a box's location tokens) can be traced back
 * to the generated tokens that produced it (for confidences, see confidence.ts).
 */
import { pyStripRange } from "./python-text.js";

/** A character range [start, end) of the decoded text (UTF-16 offsets, like String#slice). */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A string derived from the decoded text; `origin[i]` is the decoded-text offset of `text[i]`. */
export interface MappedText {
  readonly text: string;
  readonly origin: readonly number[];
}

/** The decoded text itself, every character mapping to its own offset. */
export function mapText(decoded: string): MappedText {
  return { text: decoded, origin: Array.from({ length: decoded.length }, (_, i) => i) };
}

/** `t.text.slice(start, end)` with its origins. */
export function sliceMapped(t: MappedText, start: number, end: number = t.text.length): MappedText {
  return { text: t.text.slice(start, end), origin: t.origin.slice(start, end) };
}

/** Python's `text.replace(token, "", count)`: removes occurrences left to right, at most `count`. */
export function removeToken(t: MappedText, token: string, count = Number.POSITIVE_INFINITY): MappedText {
  let at = t.text.indexOf(token);
  if (at < 0 || count <= 0 || token === "") return t;
  const parts: string[] = [];
  const origin: number[] = [];
  let from = 0;
  let removed = 0;
  while (at >= 0 && removed < count) {
    parts.push(t.text.slice(from, at));
    for (let i = from; i < at; i++) origin.push(t.origin[i] as number);
    from = at + token.length;
    removed++;
    at = t.text.indexOf(token, from);
  }
  parts.push(t.text.slice(from));
  for (let i = from; i < t.text.length; i++) origin.push(t.origin[i] as number);
  return { text: parts.join(""), origin };
}

/** Removes every match of a global regex (like Python's `re.sub(pattern, "", text)`). */
export function removeMatches(t: MappedText, pattern: RegExp): MappedText {
  const parts: string[] = [];
  const origin: number[] = [];
  let from = 0;
  for (const m of t.text.matchAll(pattern)) {
    if (m[0] === "") continue;
    parts.push(t.text.slice(from, m.index));
    for (let i = from; i < m.index; i++) origin.push(t.origin[i] as number);
    from = m.index + m[0].length;
  }
  if (from === 0) return t;
  parts.push(t.text.slice(from));
  for (let i = from; i < t.text.length; i++) origin.push(t.origin[i] as number);
  return { text: parts.join(""), origin };
}

/** `t` without leading and trailing Python whitespace. */
export function stripMapped(t: MappedText): MappedText {
  const { start, end } = pyStripRange(t.text);
  return start === 0 && end === t.text.length ? t : sliceMapped(t, start, end);
}

/**
 * The decoded-text ranges covered by `t.text[start, end)`: one span per run of consecutive origins
 * (a removed token inside the range splits it). Empty for an empty range.
 */
export function originSpans(t: MappedText, start: number, end: number): Span[] {
  const spans: Span[] = [];
  let runStart = -1;
  let runEnd = -1;
  for (let i = start; i < end; i++) {
    const o = t.origin[i] as number;
    if (o !== runEnd) {
      if (runStart >= 0) spans.push({ start: runStart, end: runEnd });
      runStart = o;
    }
    runEnd = o + 1;
  }
  if (runStart >= 0) spans.push({ start: runStart, end: runEnd });
  return spans;
}

/** BART's special tokens as Florence-2 emits them: decoder start / EOS, forced BOS, batch padding. */
export const BOS = "<s>";
export const EOS = "</s>";
export const PAD = "<pad>";

/**
 * What every structured parser parses: the decoded text without `<s>`, `</s>` and `<pad>`,
 * removed in that order like the reference (`text.replace("<s>", "").replace("</s>", "")
 * .replace("<pad>", "")`).
 */
export function cleanStructured(decoded: string): MappedText {
  return removeToken(removeToken(removeToken(mapText(decoded), BOS), EOS), PAD);
}
