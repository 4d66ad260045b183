/**
 * Generation defaults of a checkpoint: the library defaults, overridden by the generation fields
 * of config.json's text_config (what the original Python model's inner generate() uses), then by
 * generation_config.json when the folder has one (what transformers and transformers.js use).
 */
import type { FieldScope, JsonObject } from "./json-fields.js";
import { fieldError, optionalBool, optionalInt, optionalNumber } from "./json-fields.js";
import type { TextConfig } from "./text-config.js";

export interface GenerationDefaults {
  /** Beam count. Library default 1; Florence-2 checkpoints say 3. */
  readonly numBeams: number;
  /** 0 = off. Florence-2 checkpoints say 3. */
  readonly noRepeatNgramSize: number;
  /** Token forced right after the decoder start token (Florence-2: 0 = <s>); undefined = none. */
  readonly forcedBosTokenId: number | undefined;
  /** Token forced at the last allowed position (Florence-2: 2 = </s>); undefined = none. */
  readonly forcedEosTokenId: number | undefined;
  readonly decoderStartTokenId: number;
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  readonly padTokenId: number;
  /** Beam search stops when num_beams finished hypotheses exist. Default false. */
  readonly earlyStopping: boolean;
  /** Beam score = sum log-prob / length ** lengthPenalty. Default 1.0. */
  readonly lengthPenalty: number;
  /** Total length cap incl. the start token, when a file sets it; callers pass max_new_tokens instead. */
  readonly maxLength: number | undefined;
  /** Which file set the values last: "generation_config.json" or "config.json". */
  readonly source: "generation_config.json" | "config.json";
}

export const GENERATION_CONFIG_FILE = "generation_config.json";

/** Reads the generation fields of one object (text_config or generation_config.json) over `base`. */
function overlay(
  base: GenerationDefaults,
  obj: JsonObject,
  scope: FieldScope,
  source: GenerationDefaults["source"],
): GenerationDefaults {
  const lengthPenalty = optionalNumber(obj, "length_penalty", scope);
  // HF allows early_stopping "never"; it behaves like false for our beam search.
  const rawEarly = obj.early_stopping;
  let earlyStopping = base.earlyStopping;
  if (rawEarly === "never") earlyStopping = false;
  else if (rawEarly !== undefined) earlyStopping = optionalBool(obj, "early_stopping", scope) ?? base.earlyStopping;
  const numBeams = optionalInt(obj, "num_beams", scope, 1);
  const maxLength = optionalInt(obj, "max_length", scope, 1);
  if (maxLength !== undefined && maxLength < 2)
    throw fieldError(scope, "max_length", `must be at least 2, got ${maxLength}`);
  return {
    numBeams: numBeams ?? base.numBeams,
    noRepeatNgramSize: optionalInt(obj, "no_repeat_ngram_size", scope) ?? base.noRepeatNgramSize,
    forcedBosTokenId: optionalInt(obj, "forced_bos_token_id", scope) ?? base.forcedBosTokenId,
    forcedEosTokenId: optionalInt(obj, "forced_eos_token_id", scope) ?? base.forcedEosTokenId,
    decoderStartTokenId: optionalInt(obj, "decoder_start_token_id", scope) ?? base.decoderStartTokenId,
    bosTokenId: optionalInt(obj, "bos_token_id", scope) ?? base.bosTokenId,
    eosTokenId: optionalInt(obj, "eos_token_id", scope) ?? base.eosTokenId,
    padTokenId: optionalInt(obj, "pad_token_id", scope) ?? base.padTokenId,
    earlyStopping,
    lengthPenalty: lengthPenalty ?? base.lengthPenalty,
    maxLength: maxLength ?? base.maxLength,
    source,
  };
}

/**
 * The effective generation defaults from text_config (raw JSON) and the optional
 * generation_config.json; special ids start from the parsed text config.
 */
export function parseGenerationDefaults(
  text: TextConfig,
  textJson: JsonObject,
  generationJson: JsonObject | undefined,
): GenerationDefaults {
  const library: GenerationDefaults = {
    numBeams: 1,
    noRepeatNgramSize: 0,
    forcedBosTokenId: undefined,
    forcedEosTokenId: undefined,
    decoderStartTokenId: text.decoderStartTokenId,
    bosTokenId: text.bosTokenId,
    eosTokenId: text.eosTokenId,
    padTokenId: text.padTokenId,
    earlyStopping: false,
    lengthPenalty: 1,
    maxLength: undefined,
    source: "config.json",
  };
  const fromText = overlay(library, textJson, { file: "config.json", prefix: "text_config" }, "config.json");
  return generationJson === undefined
    ? fromText
    : overlay(fromText, generationJson, { file: GENERATION_CONFIG_FILE, prefix: "" }, GENERATION_CONFIG_FILE);
}
