import type { InferenceSession } from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { isFlorenceError } from "../errors.js";
import { emptyPastDims } from "../generation/decoder-layout.js";
import type { SessionMetadata } from "./contract.js";
import { validateDecoder, validateEmbed, validateEncoder, validateVision } from "./contract.js";
import type { TextConfig } from "./text-config.js";

type Meta = InferenceSession.ValueMetadata;

const text = (patch: Partial<TextConfig> = {}): TextConfig => ({
  modelType: "florence2_language",
  dModel: 64,
  encoderLayers: 2,
  decoderLayers: 2,
  encoderAttentionHeads: 4,
  decoderAttentionHeads: 4,
  encoderFfnDim: 128,
  decoderFfnDim: 128,
  vocabSize: 1362,
  maxPositionEmbeddings: 1024,
  bosTokenId: 0,
  eosTokenId: 2,
  padTokenId: 1,
  decoderStartTokenId: 2,
  ...patch,
});

const t = (name: string, type: InferenceSession.TensorValueMetadata["type"], shape: (number | string)[]): Meta => ({
  name,
  isTensor: true,
  type,
  shape,
});

interface DecoderShape {
  layers?: number;
  heads?: number | string;
  headDim?: number | string;
  kvType?: "float32" | "float16";
  vocab?: number | string;
  useCacheBranch?: boolean;
}

/** Decoder metadata shaped like the optimum merged export. */
function decoderMeta(s: DecoderShape = {}): SessionMetadata {
  const { layers = 2, heads = 4, headDim = 16, kvType = "float32", vocab = 1362, useCacheBranch = true } = s;
  const inputs: Meta[] = [
    t("inputs_embeds", "float32", ["batch_size", "decoder_sequence_length", 64]),
    t("encoder_hidden_states", "float32", ["batch_size", "encoder_sequence_length", 64]),
    t("encoder_attention_mask", "int64", ["batch_size", "encoder_sequence_length"]),
  ];
  const outputs: Meta[] = [t("logits", "float32", ["batch_size", "decoder_sequence_length", vocab])];
  for (let i = 0; i < layers; i++) {
    for (const a of ["decoder", "encoder"]) {
      for (const k of ["key", "value"]) {
        const seq = a === "decoder" ? "past_decoder_sequence_length" : "encoder_sequence_length_out";
        inputs.push(t(`past_key_values.${i}.${a}.${k}`, kvType, ["batch_size", heads, seq, headDim]));
        outputs.push(t(`present.${i}.${a}.${k}`, kvType, ["batch_size", heads, `${seq} + 1`, headDim]));
      }
    }
  }
  if (useCacheBranch) inputs.push(t("use_cache_branch", "bool", [1]));
  return { file: "onnx/decoder_model_merged.onnx", inputs, outputs };
}

function edit(meta: SessionMetadata, f: (m: { inputs: Meta[]; outputs: Meta[] }) => void): SessionMetadata {
  const copy = { inputs: [...meta.inputs], outputs: [...meta.outputs] };
  f(copy);
  return { file: meta.file, ...copy };
}

const rename = (list: Meta[], from: string, to: string): void => {
  const i = list.findIndex((m) => m.name === from);
  list[i] = { ...(list[i] as Meta), name: to };
};

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isFlorenceError(e) && e.kind === "model_load").toBe(true);
    return (e as Error).message;
  }
  throw new Error("expected a model_load error");
}

describe("validateDecoder", () => {
  it("derives layers, heads, head dim, vocab, kv names and types from the metadata", () => {
    const d = validateDecoder(decoderMeta(), text());
    expect([d.layers, d.heads, d.headDim, d.dModel, d.vocabSize, d.kvType]).toEqual([2, 4, 16, 64, 1362, "float32"]);
    expect(d.kv.map((e) => e.past)).toEqual([
      "past_key_values.0.decoder.key",
      "past_key_values.0.decoder.value",
      "past_key_values.0.encoder.key",
      "past_key_values.0.encoder.value",
      "past_key_values.1.decoder.key",
      "past_key_values.1.decoder.value",
      "past_key_values.1.encoder.key",
      "past_key_values.1.encoder.value",
    ]);
    expect(d.presentToPast["present.1.encoder.value"]).toBe("past_key_values.1.encoder.value");
    expect(Object.keys(d.presentToPast)).toHaveLength(8);
    expect(d.useCacheBranch?.type).toBe("bool");
    expect(d.kv[0]?.dims).toEqual(["batch_size", 4, "past_decoder_sequence_length", 16]);
    expect(emptyPastDims(d.kv[0]!, 3, d)).toEqual([3, 4, 0, 16]);
  });

  it("accepts other sizes, symbolic head dims, float16 caches and no use_cache_branch", () => {
    const d = validateDecoder(
      decoderMeta({
        layers: 6,
        heads: "num_heads",
        headDim: "head_dim",
        kvType: "float16",
        vocab: "vocab",
        useCacheBranch: false,
      }),
      text({ decoderLayers: 6, dModel: 64, decoderAttentionHeads: 8 }),
    );
    expect([d.layers, d.heads, d.headDim, d.vocabSize, d.kvType, d.useCacheBranch]).toEqual([
      6,
      8,
      8,
      1362,
      "float16",
      undefined,
    ]);
    expect(emptyPastDims(d.kv[0]!, 1, d)).toEqual([1, 8, 0, 8]);
  });

  it.each([
    [
      "fewer layers than config.json",
      decoderMeta({ layers: 3 }),
      text({ decoderLayers: 4 }),
      "onnx/decoder_model_merged.onnx: input past_key_values.3.decoder.key is missing; the decoder has 3 layers but config.json says 4 (text_config.decoder_layers)",
    ],
    [
      "more layers than config.json",
      decoderMeta({ layers: 3 }),
      text(),
      /has past_key_values inputs for 3 layers but config.json says 2/,
    ],
    [
      "a renamed past input",
      edit(decoderMeta(), (m) => rename(m.inputs, "past_key_values.1.encoder.value", "past_key_values.1.encoder.val")),
      text(),
      /input past_key_values\.1\.encoder\.value is missing .*; input past_key_values\.1\.encoder\.val is not part of the Florence-2 contract/,
    ],
    [
      "a missing present output",
      edit(decoderMeta(), (m) => rename(m.outputs, "present.0.decoder.key", "present_0")),
      text(),
      /output present\.0\.decoder\.key is missing/,
    ],
    [
      "wrong heads",
      decoderMeta({ heads: 8 }),
      text(),
      /past_key_values\.0\.decoder\.key dim 1 is 8 but config\.json text_config\.decoder_attention_heads is 4/,
    ],
    [
      "wrong head dim",
      decoderMeta({ headDim: 32 }),
      text(),
      /dim 3 is 32 but d_model \/ decoder_attention_heads is 16/,
    ],
    [
      "wrong vocab",
      decoderMeta({ vocab: 51289 }),
      text(),
      /logits dim 2 is 51289 but config\.json text_config\.vocab_size is 1362/,
    ],
    [
      "wrong d_model",
      decoderMeta(),
      text({ dModel: 128, decoderAttentionHeads: 8 }),
      /inputs_embeds dim 2 is 64 but config\.json text_config\.d_model is 128/,
    ],
    [
      "an int32 mask",
      edit(decoderMeta(), (m) => {
        m.inputs[2] = t("encoder_attention_mask", "int32", ["batch_size", "encoder_sequence_length"]);
      }),
      text(),
      /input encoder_attention_mask has element type int32, expected int64/,
    ],
    [
      "a present type that differs from the past",
      edit(decoderMeta(), (m) => {
        const i = m.outputs.findIndex((o) => o.name === "present.0.decoder.key");
        m.outputs[i] = t("present.0.decoder.key", "float16", ["batch_size", 4, "s", 16]);
      }),
      text(),
      /output present\.0\.decoder\.key is float16 but input past_key_values\.0\.decoder\.key is float32/,
    ],
    [
      "an unknown extra input",
      edit(decoderMeta(), (m) => m.inputs.push(t("position_ids", "int64", [1, 1]))),
      text(),
      /input position_ids is not part of the Florence-2 contract/,
    ],
    [
      "a 3-D past",
      edit(decoderMeta(), (m) => {
        m.inputs[3] = t("past_key_values.0.decoder.key", "float32", ["batch_size", 4, 16]);
      }),
      text(),
      /input past_key_values\.0\.decoder\.key has 3 dims \["batch_size", 4, 16\], expected 4/,
    ],
  ])("rejects %s", (_label, meta, cfg, message) => {
    const text = failure(() => validateDecoder(meta, cfg));
    if (typeof message === "string") expect(text).toBe(message);
    else expect(text).toMatch(message);
  });
});

describe("the other three sessions", () => {
  const vision = (tokens: number | string = 577, dModel = 64): SessionMetadata => ({
    file: "onnx/vision_encoder.onnx",
    inputs: [t("pixel_values", "float32", ["batch_size", 3, "height", "width"])],
    outputs: [t("image_features", "float32", ["batch_size", tokens, dModel])],
  });
  const embed = (type: "int64" | "int32" = "int64"): SessionMetadata => ({
    file: "onnx/embed_tokens.onnx",
    inputs: [t("input_ids", type, ["batch_size", "sequence_length"])],
    outputs: [t("inputs_embeds", "float16", ["batch_size", "sequence_length", 64])],
  });
  const encoder = (first = "inputs_embeds"): SessionMetadata => ({
    file: "onnx/encoder_model.onnx",
    inputs: [
      t(first, first === "input_ids" ? "int64" : "float32", ["batch_size", "encoder_sequence_length", 64]),
      t("attention_mask", "int64", ["batch_size", "encoder_sequence_length"]),
    ],
    outputs: [t("last_hidden_state", "float32", ["batch_size", "encoder_sequence_length", 64])],
  });

  it("reads names, types and image tokens", () => {
    expect(validateVision(vision(), text(), 577).imageTokens).toBe(577);
    expect(validateVision(vision("n"), text(), 577).imageTokens).toBe(577);
    expect(validateEmbed(embed(), text()).inputsEmbeds).toEqual({
      name: "inputs_embeds",
      type: "float16",
      dims: ["batch_size", "sequence_length", 64],
    });
    expect(validateEncoder(encoder(), text()).attentionMask.type).toBe("int64");
  });

  it.each([
    [
      "vision d_model",
      () => validateVision(vision(577, 768), text(), 577),
      /^onnx\/vision_encoder\.onnx: image_features dim 2 is 768 but config\.json text_config\.d_model is 64$/,
    ],
    [
      "vision tokens",
      () => validateVision(vision(145), text(), 577),
      /image_features has 145 image tokens but preprocessor_config\.json image_seq_length is 577/,
    ],
    [
      "embed ids type",
      () => validateEmbed(embed("int32"), text()),
      /^onnx\/embed_tokens\.onnx: input input_ids has element type int32, expected int64/,
    ],
    [
      "encoder on input_ids",
      () => validateEncoder(encoder("input_ids"), text()),
      /takes input_ids instead of inputs_embeds/,
    ],
    [
      "encoder missing mask",
      () => validateEncoder({ ...encoder(), inputs: encoder().inputs.slice(0, 1) }, text()),
      /input attention_mask is missing \(the inputs are inputs_embeds\)/,
    ],
  ])("rejects a wrong %s", (_label, fn, message) => {
    expect(failure(fn)).toMatch(message);
  });
});
