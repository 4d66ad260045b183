/**
 * The logits processors Florence-2 generates with, in HF's order (MinNewTokens, NoRepeatNGram,
 * ForcedBOS, ForcedEOS). They work on one row in place and see the full decoder sequence so far, start token
 * included. In beam search they run on log-probs (HF), in greedy on raw logits (HF and
 * transformers.js); setting -inf / 0 gives the same argmax either way.
 */
import type { DecodingOptions } from "./decoding-options.js";

export type ProcessorOptions = Pick<
  DecodingOptions,
  "noRepeatNgramSize" | "forcedBosTokenId" | "forcedEosTokenId" | "maxNewTokens" | "minNewTokens" | "eosTokenId"
>;

/**
 * Tokens that would repeat an n-gram: every token that followed an earlier occurrence of the
 * sequence's last n-1 tokens (HF `_calc_banned_ngram_tokens`, from fairseq).
 */
export function bannedNgramTokens(sequence: readonly number[], n: number): number[] {
  const len = sequence.length;
  if (n <= 0 || len + 1 < n) return [];
  const banned: number[] = [];
  const ctxStart = len - n + 1;
  for (let i = 0; i + n <= len; i++) {
    let same = true;
    for (let j = 0; j < n - 1 && same; j++) same = sequence[i + j] === sequence[ctxStart + j];
    if (same) banned.push(sequence[i + n - 1]!);
  }
  return banned;
}

/** Sets every score to -inf except `token`, which becomes 0 (a forced token costs nothing). */
function forceToken(row: Float32Array, token: number): void {
  row.fill(Number.NEGATIVE_INFINITY);
  if (token < row.length) row[token] = 0;
}

/**
 * Applies the processors to one row for the sequence `sequence` (start token included) and says
 * whether the next token is forced.
 */
export function applyLogitsProcessors(
  sequence: readonly number[],
  row: Float32Array,
  options: ProcessorOptions,
): { readonly forced: boolean } {
  // HF MinNewTokensLengthLogitsProcessor: the decoder start token is not a generated token.
  if (sequence.length - 1 < options.minNewTokens && options.eosTokenId < row.length)
    row[options.eosTokenId] = Number.NEGATIVE_INFINITY;
  for (const token of bannedNgramTokens(sequence, options.noRepeatNgramSize)) {
    if (token < row.length) row[token] = Number.NEGATIVE_INFINITY;
  }
  let forced = false;
  if (options.forcedBosTokenId !== undefined && sequence.length === 1) {
    forceToken(row, options.forcedBosTokenId);
    forced = true;
  }
  // max_length = 1 + maxNewTokens (the decoder start token counts), so the last step is at length maxNewTokens.
  if (options.forcedEosTokenId !== undefined && sequence.length === options.maxNewTokens) {
    forceToken(row, options.forcedEosTokenId);
    forced = true;
  }
  return { forced };
}
