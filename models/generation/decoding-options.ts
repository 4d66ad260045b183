/**
 * Per-request decoding parameters, with Florence-2's reference values as defaults: the values the
 * original `language_model.generate` uses, i.e. `text_config` (docs/generation.md#2-decoding-options-and-defaults).
 */
import { type FieldViolation, FlorenceError } from "../errors.js";

/** What to do once numBeams hypotheses are finished (HF `early_stopping`). */
export type EarlyStopping = boolean | "never";

export interface DecodingOptions {
  /** Tokens generated after the decoder start token; max_length = 1 + maxNewTokens. Default 1024. */
  readonly maxNewTokens: number;
  /**
   * The end token is banned until this many tokens are generated (HF `min_new_tokens`). Default 0.
   * Equal to maxNewTokens, every request generates exactly maxNewTokens tokens (benchmarks).
   */
  readonly minNewTokens: number;
  /** 1 = greedy search; K > 1 = beam search with K beams (HF semantics). Default 3. */
  readonly numBeams: number;
  /** Beam score = sum of log-probs / (generated length ** lengthPenalty). Default 1.0. */
  readonly lengthPenalty: number;
  /**
   * true: stop once numBeams hypotheses are finished; false: stop when the best running beam cannot
   * beat the worst finished one at the current length; "never": the same test at max length when
   * lengthPenalty > 0. Default true (reference text_config).
   */
  readonly earlyStopping: EarlyStopping;
  /** Ban any n-gram of this size from repeating in the decoder sequence; 0 disables. Default 3. */
  readonly noRepeatNgramSize: number;
  /** Token forced as the first generated token; undefined disables. Default 0 (`<s>`). */
  readonly forcedBosTokenId: number | undefined;
  /** Token forced as the last token when max_length is reached; undefined disables. Default 2 (`</s>`). */
  readonly forcedEosTokenId: number | undefined;
  /** A hypothesis ends when it emits this token. Default 2 (`</s>`). */
  readonly eosTokenId: number;
  /** First token of every decoder sequence. Default 2 (`</s>`, BART's decoder_start_token_id). */
  readonly decoderStartTokenId: number;
}

export const decodingDefaults: Readonly<DecodingOptions> = {
  maxNewTokens: 1024,
  minNewTokens: 0,
  numBeams: 3,
  lengthPenalty: 1.0,
  earlyStopping: true,
  noRepeatNgramSize: 3,
  forcedBosTokenId: 0,
  forcedEosTokenId: 2,
  eosTokenId: 2,
  decoderStartTokenId: 2,
};

/** Merges over the defaults and validates; throws FlorenceError("invalid_argument") naming each bad field. */
export function makeDecodingOptions(init?: Partial<DecodingOptions>, field = "options"): Readonly<DecodingOptions> {
  const options = init ? { ...decodingDefaults, ...init } : decodingDefaults;
  const violations = decodingViolations(options, field);
  if (violations.length > 0) {
    const detail = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
    throw new FlorenceError("invalid_argument", `invalid decoding options (${detail})`, { violations });
  }
  return options;
}

function decodingViolations(o: DecodingOptions, field: string): FieldViolation[] {
  const out: FieldViolation[] = [];
  const check = (ok: boolean, name: keyof DecodingOptions, description: string) => {
    if (!ok) out.push({ field: `${field}.${name}`, description });
  };
  check(isCount(o.maxNewTokens, 1), "maxNewTokens", `must be an integer >= 1, got ${o.maxNewTokens}`);
  check(
    isCount(o.minNewTokens, 0) && o.minNewTokens <= o.maxNewTokens,
    "minNewTokens",
    `must be an integer from 0 to maxNewTokens (${o.maxNewTokens}), got ${o.minNewTokens}`,
  );
  check(isCount(o.numBeams, 1), "numBeams", `must be an integer >= 1, got ${o.numBeams}`);
  check(Number.isFinite(o.lengthPenalty), "lengthPenalty", `must be a finite number, got ${o.lengthPenalty}`);
  check(
    o.earlyStopping === true || o.earlyStopping === false || o.earlyStopping === "never",
    "earlyStopping",
    `must be true, false or "never", got ${String(o.earlyStopping)}`,
  );
  check(isCount(o.noRepeatNgramSize, 0), "noRepeatNgramSize", `must be an integer >= 0, got ${o.noRepeatNgramSize}`);
  check(
    o.forcedBosTokenId === undefined || isCount(o.forcedBosTokenId, 0),
    "forcedBosTokenId",
    "must be a token id or undefined",
  );
  check(
    o.forcedEosTokenId === undefined || isCount(o.forcedEosTokenId, 0),
    "forcedEosTokenId",
    "must be a token id or undefined",
  );
  check(isCount(o.eosTokenId, 0), "eosTokenId", "must be a token id");
  check(isCount(o.decoderStartTokenId, 0), "decoderStartTokenId", "must be a token id");
  return out;
}

function isCount(n: number, min: number): boolean {
  return Number.isSafeInteger(n) && n >= min;
}
