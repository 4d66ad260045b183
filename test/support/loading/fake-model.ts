/**
 * Test support: a complete fake Florence-2 model folder (configs + four fake graphs from
 * fake-onnx.ts) with any sizes, layer count, dim names and cache type, for session-loading tests.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FakeElemType, FakeGraph, FakeValue } from "./fake-onnx.js";
import { encodeFakeModel } from "./fake-onnx.js";

export interface FakeModelShape {
  /** Default 2. */
  readonly layers: number;
  /** Default 4. */
  readonly heads: number;
  /** Default 32. */
  readonly dModel: number;
  /** Default 300. */
  readonly vocab: number;
  /** Default 577. */
  readonly imageTokens: number;
  /** Element type of embeddings and the KV cache. Default "float32". */
  readonly floatType: "float32" | "float16";
  /** Declare heads and head dim as symbolic names instead of numbers. Default false. */
  readonly symbolicHeads: boolean;
  /** Name of the batch dim. Default "batch_size". */
  readonly batchDim: string;
  /** Whether the decoder has use_cache_branch. Default true. */
  readonly useCacheBranch: boolean;
  /** File-name suffix of the graphs (e.g. "_fp16"). Default "". */
  readonly suffix: string;
}

export const fakeModelDefaults: Readonly<FakeModelShape> = {
  layers: 2,
  heads: 4,
  dModel: 32,
  vocab: 300,
  imageTokens: 577,
  floatType: "float32",
  symbolicHeads: false,
  batchDim: "batch_size",
  useCacheBranch: true,
  suffix: "",
};

const v = (name: string, type: FakeElemType, dims: readonly (number | string)[] = []): FakeValue => ({
  name,
  type,
  dims,
});

export function fakeGraphs(
  shape: Readonly<FakeModelShape>,
): Record<"vision_encoder" | "embed_tokens" | "encoder_model" | "decoder_model_merged", FakeGraph> {
  const { batchDim: b, dModel: d, floatType: f } = shape;
  const heads = shape.symbolicHeads ? "num_heads" : shape.heads;
  const headDim = shape.symbolicHeads ? "head_dim" : d / shape.heads;
  const decInputs: FakeValue[] = [
    v("inputs_embeds", f, [b, "decoder_sequence_length", d]),
    v("encoder_hidden_states", f, [b, "encoder_sequence_length", d]),
    v("encoder_attention_mask", "int64", [b, "encoder_sequence_length"]),
  ];
  const decOutputs: FakeValue[] = [v("logits", "float32", [b, "decoder_sequence_length", shape.vocab])];
  for (let i = 0; i < shape.layers; i++) {
    for (const a of ["decoder", "encoder"]) {
      for (const k of ["key", "value"]) {
        decInputs.push(
          v(`past_key_values.${i}.${a}.${k}`, f, [
            b,
            heads,
            a === "decoder" ? "past_decoder_sequence_length" : "encoder_sequence_length_out",
            headDim,
          ]),
        );
        const seq = a === "decoder" ? "past_decoder_sequence_length + 1" : "encoder_sequence_length_out";
        decOutputs.push(v(`present.${i}.${a}.${k}`, f, [b, heads, seq, headDim]));
      }
    }
  }
  if (shape.useCacheBranch) decInputs.push(v("use_cache_branch", "bool", [1]));
  return {
    vision_encoder: {
      inputs: [v("pixel_values", "float32", [b, 3, "height", "width"])],
      outputs: [v("image_features", f, [b, shape.imageTokens, d])],
    },
    embed_tokens: {
      inputs: [v("input_ids", "int64", [b, "sequence_length"])],
      outputs: [v("inputs_embeds", f, [b, "sequence_length", d])],
    },
    encoder_model: {
      inputs: [
        v("inputs_embeds", f, [b, "encoder_sequence_length", d]),
        v("attention_mask", "int64", [b, "encoder_sequence_length"]),
      ],
      outputs: [v("last_hidden_state", f, [b, "encoder_sequence_length", d])],
    },
    decoder_model_merged: { inputs: decInputs, outputs: decOutputs },
  };
}

/** Writes config.json, generation_config.json, preprocessor_config.json, tokenizer files and the four graphs into `dir`. */
export function writeFakeModel(dir: string, shape: Partial<FakeModelShape> = {}): Readonly<FakeModelShape> {
  const s = { ...fakeModelDefaults, ...shape };
  mkdirSync(join(dir, "onnx"), { recursive: true });
  const json = (file: string, value: unknown): void => writeFileSync(join(dir, file), JSON.stringify(value, null, 2));
  json("config.json", {
    model_type: "florence2",
    is_encoder_decoder: true,
    text_config: {
      model_type: "florence2_language",
      d_model: s.dModel,
      encoder_layers: s.layers,
      decoder_layers: s.layers,
      encoder_attention_heads: s.heads,
      decoder_attention_heads: s.heads,
      vocab_size: s.vocab,
      max_position_embeddings: 1024,
    },
  });
  json("generation_config.json", {
    num_beams: 3,
    no_repeat_ngram_size: 3,
    forced_bos_token_id: 0,
    forced_eos_token_id: 2,
    decoder_start_token_id: 2,
  });
  json("preprocessor_config.json", {
    size: { height: 768, width: 768 },
    image_mean: [0.485, 0.456, 0.406],
    image_std: [0.229, 0.224, 0.225],
    image_seq_length: s.imageTokens,
  });
  json("tokenizer.json", {});
  json("tokenizer_config.json", {});
  for (const [name, graph] of Object.entries(fakeGraphs(s)))
    writeFileSync(join(dir, "onnx", `${name}${s.suffix}.onnx`), encodeFakeModel(graph));
  return s;
}
