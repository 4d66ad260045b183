/** The contracts of the decoding loop: the model step it drives, and what callers put in and get out. */
import type { DecodingOptions } from "./decoding-options.js";

/** One decoder step for a batch of rows (each row = one hypothesis of one request). */
export interface DecoderStepInput {
  /** For each row, the last token of its sequence (the only token the cached decoder needs). */
  readonly tokens: readonly number[];
  /**
   * For each row, the row of the PREVIOUS step whose cache it continues (rows may be dropped,
   * reordered or duplicated between steps). Undefined on the first step, which has no cache.
   */
  readonly rowSources: readonly number[] | undefined;
  /** For each row, the index of its request, i.e. its row in the encoder batch the stepper was built with. */
  readonly rowRequests: readonly number[];
}

export interface StepLogits {
  /** Next-token logits, row-major [rows, vocabSize], float32. The caller owns it and may modify it. */
  readonly data: Float32Array;
  readonly vocabSize: number;
}

/** The model as the search algorithms see it; implemented on ORT by createOrtDecoderStepper, and by fakes in tests. */
export interface DecoderStepper {
  step(input: DecoderStepInput): Promise<StepLogits>;
}

/**
 * Why a sequence ended: its end token, its max_new_tokens, the decoder's position limit (HF's
 * max_length: the model has no position for another token), or its caller cancelled it.
 */
export type StopReason = "eos" | "max_new_tokens" | "max_length" | "cancelled";

/** A token that can no longer change, reported while decoding (for streaming). */
export interface TokenEvent {
  /** Index of the request in the `requests` array given to generate(). */
  readonly request: number;
  readonly id: number;
  /** Position in the output sequence; 1 is the first generated token (0 is the decoder start token). */
  readonly position: number;
  /** Log-probability of the token after the logits processors (0 for a forced token). */
  readonly logprob: number;
}

export interface DecodeRequest {
  /** Overrides of the batch-wide options given to generate(). */
  readonly options?: Partial<DecodingOptions>;
  /** Checked between decoder steps; an aborted request leaves the batch with stopReason "cancelled". */
  readonly signal?: AbortSignal;
  /**
   * Called for each token once it is final, in order. Greedy: every token as it is chosen. Beam
   * search: a token is reported once every running beam and every finished hypothesis share it, so
   * reported tokens are always a prefix of the returned sequence; the rest come when the search ends.
   */
  readonly onToken?: (event: TokenEvent) => void;
}

export interface DecodeResult {
  /** Decoder start token, then the generated tokens, e.g. [2, 0, ..., 2]. */
  readonly tokens: number[];
  /**
   * One log-probability per generated token (tokens.length - 1): log_softmax of the logits, after
   * the logits processors, at the chosen token (HF compute_transition_scores for beams); 0 for forced tokens.
   */
  readonly logprobs: number[];
  readonly stopReason: StopReason;
  /** Beam search only: the hypothesis' length-penalised score (HF `sequences_scores`). */
  readonly sequenceScore: number | undefined;
}

/** One row a search wants run at the next step. */
export interface SearchRow {
  readonly token: number;
  /** The search's own row (of its previous `rows`) this row continues; -1 on the first step. */
  readonly source: number;
}

/** A state machine for one request: greedy or beam search. */
export interface Search {
  /** The rows to run next; empty once done. */
  readonly rows: readonly SearchRow[];
  readonly done: boolean;
  /** Consumes one logits row per entry of `rows` (it may modify them in place). */
  advance(logits: readonly Float32Array[], vocabSize: number): void;
  /** Output positions [0, stableLength) of `stableSequence()` can no longer change. */
  stableLength(): number;
  stableSequence(): { readonly tokens: readonly number[]; readonly logprobs: readonly number[] };
  /** The answer once done, or the best partial answer with stopReason "cancelled". */
  result(cancelled: boolean): DecodeResult;
}
