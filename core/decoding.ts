/**
 * Decoding parameters: what a caller may choose about how an answer is generated, and nothing
 * else. They travel as data (into a worker thread, over the wire as task.proto's
 * GenerationOptions); per-call plumbing (cancellation, callbacks, fairness lanes) is kept apart,
 * in the engine's and the client's call options. Semantics and defaults:
 * docs/generation.md#2-decoding-options-and-defaults.
 */

/**
 * Every field is optional; an unset field takes the default below (the engine's, which the server
 * applies too).
 */
export interface DecodingParams {
  /** Beams for beam search; 1 = greedy. Default 3, as Florence-2's reference configuration. */
  readonly numBeams?: number;
  /** Maximum number of generated tokens. Default 1024, the value Florence-2's own examples use. */
  readonly maxNewTokens?: number;
  /**
   * Ban the end token until this many tokens are generated (HF `min_new_tokens`; at most
   * maxNewTokens). Default 0. Set it equal to maxNewTokens to make every answer exactly that long
   * (benchmarks).
   */
  readonly minNewTokens?: number;
  /** Beam-search length penalty (score / length^penalty). Default 1.0. */
  readonly lengthPenalty?: number;
  /** Stop beam search once numBeams hypotheses are finished. Default true (reference text_config). */
  readonly earlyStopping?: boolean;
  /** Forbid repeating any n-gram of this size; 0 disables. Default 3 (reference). */
  readonly noRepeatNgramSize?: number;
}

/** The names of the decoding parameters. */
export const DECODING_PARAM_KEYS = [
  "numBeams",
  "maxNewTokens",
  "minNewTokens",
  "lengthPenalty",
  "earlyStopping",
  "noRepeatNgramSize",
] as const satisfies readonly (keyof DecodingParams)[];

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The decoding parameters set in `options` and nothing else, so call options that share an object
 * with them (a signal, callbacks) never reach a message or a worker.
 */
export function pickDecodingParams(options: DecodingParams): DecodingParams {
  const out: Mutable<DecodingParams> = {};
  for (const key of DECODING_PARAM_KEYS) {
    const value = options[key];
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
