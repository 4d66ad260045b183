/**
 * Beam search for one request, a port of Hugging Face transformers 4.57 `_beam_search` (and its
 * helpers `_get_top_k_continuations`, `_get_running_beams_for_next_iteration`,
 * `_update_finished_beams`, `_check_early_stop_heuristic`, `_beam_search_has_unfinished_sequences`)
 * for one batch item with decoder prompt length 1 and one EOS token.
 *
 * The arithmetic is float32 where HF's is (scores, the -1e9 penalties, the length division), so
 * the same candidates win. Differences from HF that cannot change the returned hypothesis:
 * - torch.topk's order among exactly equal values is unspecified; here the lower index wins.
 * - HF keeps a finished batch item in the loop until every item is done (its results can no longer
 *   change: new candidates get -1e9); here the request stops at once.
 */
import type { DecodingOptions } from "./decoding-options.js";
import { logSoftmaxInPlace } from "./log-softmax.js";
import { applyLogitsProcessors } from "./logits-processors.js";
import { stopReasonOf } from "./stop-reason.js";
import { TopK, topKIndices } from "./top-k.js";
import type { DecodeResult, Search, SearchRow } from "./types.js";

/** HF's "minus infinity" for unused beams and slots; exact in float32. */
const NEG = -1e9;
const f32 = Math.fround;

interface Hypothesis {
  readonly tokens: readonly number[];
  readonly logprobs: readonly number[];
  readonly score: number;
}

interface Slot extends Hypothesis {
  readonly finished: boolean;
}

interface Candidate {
  readonly beam: number;
  readonly token: number;
  /** Running score: sum of processed log-probs (float32). */
  readonly acc: number;
  readonly logprob: number;
  readonly hitsStop: boolean;
}

export class BeamSearch implements Search {
  readonly #options: Readonly<DecodingOptions>;
  readonly #k: number;
  readonly #maxLength: number;
  #running: Hypothesis[];
  #sources: number[];
  #slots: Slot[];
  /** HF `is_early_stop_heuristic_unsatisfied`: the running beams may still beat the finished ones. */
  #improvable = true;
  #curLen = 1;
  #done = false;

  constructor(options: Readonly<DecodingOptions>) {
    this.#options = options;
    this.#k = options.numBeams;
    this.#maxLength = 1 + options.maxNewTokens;
    const start = [options.decoderStartTokenId];
    // Only beam 0 is live at first, so the K beams do not all pick the same tokens.
    this.#running = Array.from({ length: this.#k }, (_, i) => ({
      tokens: start,
      logprobs: [],
      score: i === 0 ? 0 : NEG,
    }));
    this.#sources = Array.from({ length: this.#k }, () => -1);
    this.#slots = Array.from({ length: this.#k }, () => ({ tokens: start, logprobs: [], score: NEG, finished: false }));
  }

  get done(): boolean {
    return this.#done;
  }

  get rows(): readonly SearchRow[] {
    if (this.#done) return [];
    return this.#running.map((beam, i) => ({ token: beam.tokens[beam.tokens.length - 1]!, source: this.#sources[i]! }));
  }

  advance(logits: readonly Float32Array[], vocabSize: number): void {
    if (this.#done) return;
    const candidates = this.#topContinuations(logits, vocabSize);
    this.#updateFinished(candidates);
    this.#selectRunning(candidates);
    this.#curLen++;
    this.#improvable = this.#improvable && this.#runningCanImprove();
    const allHitStop = candidates.every((c) => c.hitsStop);
    const slotsFull = this.#options.earlyStopping === true && this.#slots.every((s) => s.finished);
    this.#done = !this.#improvable || slotsFull || allHitStop;
  }

  /** HF steps b-d: log_softmax, processors, accumulated scores, top 2K of K x V, stopping criteria. */
  #topContinuations(logits: readonly Float32Array[], vocabSize: number): Candidate[] {
    const top = new TopK(2 * this.#k);
    for (let b = 0; b < this.#k; b++) {
      const row = logits[b]!;
      logSoftmaxInPlace(row);
      applyLogitsProcessors(this.#running[b]!.tokens, row, this.#options);
      const score = this.#running[b]!.score;
      for (let v = 0; v < vocabSize; v++) {
        const acc = f32(row[v]! + score);
        if (top.wouldKeep(acc)) top.offer(acc, b * vocabSize + v);
      }
    }
    const newLength = this.#curLen + 1;
    return Array.from({ length: top.size }, (_, rank) => {
      const beam = Math.floor(top.id(rank) / vocabSize);
      const token = top.id(rank) % vocabSize;
      return {
        beam,
        token,
        acc: top.value(rank),
        logprob: logits[beam]![token]!,
        hitsStop: token === this.#options.eosTokenId || newLength >= this.#maxLength,
      };
    });
  }

  /** HF `_get_running_beams_for_next_iteration`: the best K candidates, finished ones pushed down by -1e9. */
  #selectRunning(candidates: readonly Candidate[]): void {
    const scores = candidates.map((c) => (c.hitsStop ? f32(c.acc + NEG) : c.acc));
    const chosen = topKIndices(scores, this.#k);
    this.#running = chosen.map((i) => this.#extend(candidates[i]!, scores[i]!));
    this.#sources = chosen.map((i) => candidates[i]!.beam);
  }

  /** HF `_update_finished_beams`: merge the top-K candidates that just finished into the K slots. */
  #updateFinished(candidates: readonly Candidate[]): void {
    const generatedLength = this.#curLen; // cur_len + 1 - decoder_prompt_len, with the prompt = 1 token
    const denominator = f32(generatedLength ** this.#options.lengthPenalty);
    const slotsFull = this.#options.earlyStopping === true && this.#slots.every((s) => s.finished);
    const merged: { readonly score: number; readonly finished: boolean; readonly make: () => Hypothesis }[] =
      this.#slots.map((slot) => ({ score: slot.score, finished: slot.finished, make: () => slot }));
    candidates.forEach((c, rank) => {
      const justFinished = c.hitsStop && rank < this.#k;
      let score = f32(c.acc / denominator);
      if (slotsFull) score = f32(score + NEG);
      if (!this.#improvable) score = f32(score + NEG);
      if (!justFinished) score = f32(score + NEG);
      merged.push({ score, finished: justFinished, make: () => this.#extend(c, score) });
    });
    const chosen = topKIndices(
      merged.map((m) => m.score),
      this.#k,
    );
    this.#slots = chosen.map((i) => {
      const m = merged[i]!;
      return { ...m.make(), score: m.score, finished: m.finished };
    });
  }

  /** HF `_check_early_stop_heuristic` (after cur_len += 1). */
  #runningCanImprove(): boolean {
    const lp = this.#options.lengthPenalty;
    const length = this.#options.earlyStopping === "never" && lp > 0 ? this.#maxLength - 1 : this.#curLen - 1;
    const bestPossible = f32(this.#running[0]!.score / f32(length ** lp));
    const worstFinished = Math.min(...this.#slots.map((s) => s.score));
    return this.#slots.some((s) => bestPossible > (s.finished ? worstFinished : NEG));
  }

  #extend(c: Candidate, score: number): Hypothesis {
    const parent = this.#running[c.beam]!;
    return { tokens: [...parent.tokens, c.token], logprobs: [...parent.logprobs, c.logprob], score };
  }

  /** Length of the prefix shared by every running beam and every finished hypothesis: it can no longer change. */
  stableLength(): number {
    if (this.#done) return this.#final().tokens.length;
    const seqs = [...this.#running, ...this.#slots.filter((s) => s.finished)].map((h) => h.tokens);
    const first = seqs[0]!;
    let n = 0;
    while (n < first.length && seqs.every((s) => s.length > n && s[n] === first[n])) n++;
    return n;
  }

  stableSequence(): { readonly tokens: readonly number[]; readonly logprobs: readonly number[] } {
    return this.#done ? this.#final() : this.#running[0]!;
  }

  /** The best finished hypothesis (HF returns slot 0); the best running beam if none finished. */
  #final(): Hypothesis {
    const best = this.#slots[0]!;
    return best.finished ? best : this.#running[0]!;
  }

  result(cancelled: boolean): DecodeResult {
    const h = cancelled ? this.#running[0]! : this.#final();
    const finished = !cancelled && this.#slots[0]!.finished;
    return {
      tokens: [...h.tokens],
      logprobs: [...h.logprobs],
      stopReason: stopReasonOf(h.tokens, this.#options, cancelled),
      sequenceScore: finished ? h.score : undefined,
    };
  }
}
