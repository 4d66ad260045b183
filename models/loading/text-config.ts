/**
 * config.json: the model type and the BART language model's dimensions and special token ids
 * (`text_config`). The text_config ids are authoritative: early Microsoft configs had wrong
 * top-level bos/eos/pad (2/1/0, fixed 2024-06-26) and many fine-tunes still carry them.
 */
import { FlorenceError } from "../errors.js";
import type { FieldScope, JsonObject } from "./json-fields.js";
import { fieldError, optionalBool, optionalInt, optionalString, requiredInt, requiredObject } from "./json-fields.js";

export interface TextConfig {
  /** "florence2_language" (Microsoft/onnx-community) or "bart" (native transformers format). */
  readonly modelType: string | undefined;
  readonly dModel: number;
  readonly encoderLayers: number;
  readonly decoderLayers: number;
  readonly encoderAttentionHeads: number;
  readonly decoderAttentionHeads: number;
  /** FFN width; undefined when the config omits it (nothing here needs it). */
  readonly encoderFfnDim: number | undefined;
  readonly decoderFfnDim: number | undefined;
  readonly vocabSize: number;
  /** Learned positions of the encoder and decoder; the encoder sees image tokens + prompt tokens. */
  readonly maxPositionEmbeddings: number;
  /** Defaults when absent: BART's 0 / 2 / 1 and decoder start 2. */
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  readonly padTokenId: number;
  readonly decoderStartTokenId: number;
}

/** The fields of config.json this project uses. */
export interface ModelJsonConfig {
  readonly modelType: string;
  /** transformers.js needs it true to load the encoder; this engine always loads it. Default true. */
  readonly isEncoderDecoder: boolean;
  /** Width of the vision projection (= text d_model in released checkpoints); undefined if absent. */
  readonly projectionDim: number | undefined;
  readonly text: TextConfig;
  /** Things that were odd but handled, e.g. contradicting top-level token ids. */
  readonly warnings: readonly string[];
}

/** BART / Florence-2 special ids (docs/florence2-contract.md#62-special-tokens-and-ids). */
export const BART_SPECIAL_IDS = { bos: 0, pad: 1, eos: 2, decoderStart: 2 } as const;

export const CONFIG_FILE = "config.json";

function parseTextConfig(text: JsonObject, topVocab: number | undefined): TextConfig {
  const scope: FieldScope = { file: CONFIG_FILE, prefix: "text_config" };
  const dModel = requiredInt(text, "d_model", scope);
  const encoderAttentionHeads = requiredInt(text, "encoder_attention_heads", scope);
  const decoderAttentionHeads = requiredInt(text, "decoder_attention_heads", scope);
  for (const [key, heads] of [
    ["encoder_attention_heads", encoderAttentionHeads],
    ["decoder_attention_heads", decoderAttentionHeads],
  ] as const) {
    if (dModel % heads !== 0) throw fieldError(scope, key, `(${heads}) must divide d_model (${dModel})`);
  }
  const vocabSize = optionalInt(text, "vocab_size", scope, 1) ?? topVocab;
  if (vocabSize === undefined)
    throw fieldError(scope, "vocab_size", "is missing (and config.json has no top-level vocab_size)");
  return {
    modelType: optionalString(text, "model_type", scope),
    dModel,
    encoderLayers: requiredInt(text, "encoder_layers", scope),
    decoderLayers: requiredInt(text, "decoder_layers", scope),
    encoderAttentionHeads,
    decoderAttentionHeads,
    encoderFfnDim: optionalInt(text, "encoder_ffn_dim", scope, 1),
    decoderFfnDim: optionalInt(text, "decoder_ffn_dim", scope, 1),
    vocabSize,
    maxPositionEmbeddings: requiredInt(text, "max_position_embeddings", scope),
    bosTokenId: optionalInt(text, "bos_token_id", scope) ?? BART_SPECIAL_IDS.bos,
    eosTokenId: optionalInt(text, "eos_token_id", scope) ?? BART_SPECIAL_IDS.eos,
    padTokenId: optionalInt(text, "pad_token_id", scope) ?? BART_SPECIAL_IDS.pad,
    decoderStartTokenId: optionalInt(text, "decoder_start_token_id", scope) ?? BART_SPECIAL_IDS.decoderStart,
  };
}

/** Warns when top-level ids contradict text_config (the old Microsoft 2/1/0 bug); text_config wins. */
function topLevelIdWarnings(top: JsonObject, text: TextConfig): string[] {
  const scope: FieldScope = { file: CONFIG_FILE, prefix: "" };
  const pairs = [
    ["bos_token_id", text.bosTokenId],
    ["eos_token_id", text.eosTokenId],
    ["pad_token_id", text.padTokenId],
  ] as const;
  const wrong = pairs.filter(([key, value]) => {
    const topValue = optionalInt(top, key, scope);
    return topValue !== undefined && topValue !== value;
  });
  if (wrong.length === 0) return [];
  const list = wrong.map(([key, value]) => `${key} ${String(top[key])} (text_config: ${value})`).join(", ");
  return [
    `${CONFIG_FILE}: top-level ${list} contradict text_config; using text_config, as early Microsoft configs had wrong top-level ids`,
  ];
}

/** Parses the JSON object of config.json. */
export function parseModelJsonConfig(json: JsonObject): ModelJsonConfig {
  const scope: FieldScope = { file: CONFIG_FILE, prefix: "" };
  const modelType = optionalString(json, "model_type", scope);
  if (modelType === undefined)
    throw fieldError(scope, "model_type", 'is missing; a Florence-2 config has "model_type": "florence2"');
  if (modelType !== "florence2") {
    throw new FlorenceError(
      "model_load",
      `${CONFIG_FILE}: model_type is "${modelType}", not "florence2"; this folder does not hold a Florence-2 model`,
    );
  }
  const text = parseTextConfig(requiredObject(json, "text_config", scope), optionalInt(json, "vocab_size", scope, 1));
  const isEncoderDecoder = optionalBool(json, "is_encoder_decoder", scope);
  const warnings = topLevelIdWarnings(json, text);
  if (isEncoderDecoder === false)
    warnings.push(`${CONFIG_FILE}: is_encoder_decoder is false; ignored (Florence-2 is an encoder-decoder model)`);
  return {
    modelType,
    isEncoderDecoder: isEncoderDecoder ?? true,
    projectionDim: optionalInt(json, "projection_dim", scope, 1),
    text,
    warnings,
  };
}
