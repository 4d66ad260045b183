/**
 * Greedy search for one request (numBeams = 1), HF `_sample` without sampling: argmax of the
 * processed logits, one row, stop on EOS or at max_length = 1 + maxNewTokens.
 */
import type { DecodingOptions } from "./decoding-options.js";
import { logSoftmaxAt, logSumExpParts } from "./log-softmax.js";
import { applyLogitsProcessors } from "./logits-processors.js";
import { stopReasonOf } from "./stop-reason.js";
import type { DecodeResult, Search, SearchRow } from "./types.js";

/** Index of the largest value; the first one on ties (torch.argmax). -1 when every value is NaN. */
export function argmax(row: Float32Array): number {
  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (v > bestValue || (best < 0 && v === bestValue)) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}

export class GreedySearch implements Search {
  readonly #options: Readonly<DecodingOptions>;
  readonly #tokens: number[];
  readonly #logprobs: number[] = [];
  #done = false;

  constructor(options: Readonly<DecodingOptions>) {
    this.#options = options;
    this.#tokens = [options.decoderStartTokenId];
  }

  get done(): boolean {
    return this.#done;
  }

  get rows(): readonly SearchRow[] {
    if (this.#done) return [];
    return [{ token: this.#tokens[this.#tokens.length - 1]!, source: this.#tokens.length === 1 ? -1 : 0 }];
  }

  advance(logits: readonly Float32Array[]): void {
    const row = logits[0];
    if (this.#done || row === undefined) return;
    // Normalise over the raw logits, before processing: bans do not renormalise (HF beam search).
    const parts = logSumExpParts(row);
    const { forced } = applyLogitsProcessors(this.#tokens, row, this.#options);
    const token = argmax(row);
    // Processing only wrote -inf (and a forced 0), so an unforced winner still holds its raw logit.
    const logprob = forced ? 0 : logSoftmaxAt(row, token, parts);
    this.#tokens.push(token);
    this.#logprobs.push(logprob);
    if (token === this.#options.eosTokenId || this.#tokens.length >= 1 + this.#options.maxNewTokens) this.#done = true;
  }

  stableLength(): number {
    return this.#tokens.length;
  }

  stableSequence(): { readonly tokens: readonly number[]; readonly logprobs: readonly number[] } {
    return { tokens: this.#tokens, logprobs: this.#logprobs };
  }

  result(cancelled: boolean): DecodeResult {
    return {
      tokens: [...this.#tokens],
      logprobs: [...this.#logprobs],
      stopReason: stopReasonOf(this.#tokens, this.#options, cancelled),
      sequenceScore: undefined,
    };
  }
}
