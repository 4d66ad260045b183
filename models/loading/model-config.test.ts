import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isFlorenceError } from "../errors.js";
import { readModelConfig } from "./model-config.js";

type Json = Record<string, unknown>;

/** Shaped like microsoft/Florence-2-base's config.json (trimmed), with the old wrong top-level ids. */
function microsoftConfig(): Json {
  return {
    architectures: ["Florence2ForConditionalGeneration"],
    bos_token_id: 2,
    eos_token_id: 1,
    pad_token_id: 0,
    model_type: "florence2",
    projection_dim: 768,
    is_encoder_decoder: true,
    vocab_size: 51289,
    text_config: {
      model_type: "florence2_language",
      vocab_size: 51289,
      d_model: 768,
      encoder_layers: 6,
      decoder_layers: 6,
      encoder_attention_heads: 12,
      decoder_attention_heads: 12,
      encoder_ffn_dim: 3072,
      decoder_ffn_dim: 3072,
      max_position_embeddings: 1024,
      bos_token_id: 0,
      eos_token_id: 2,
      pad_token_id: 1,
      decoder_start_token_id: 2,
      forced_bos_token_id: 0,
      forced_eos_token_id: 2,
      num_beams: 3,
      no_repeat_ngram_size: 3,
      early_stopping: true,
    },
    vision_config: { model_type: "davit", projection_dim: 768 },
  };
}

function preprocessor(): Json {
  return {
    do_resize: true,
    size: { height: 768, width: 768 },
    resample: 3,
    rescale_factor: 0.00392156862745098,
    image_mean: [0.485, 0.456, 0.406],
    image_std: [0.229, 0.224, 0.225],
    image_seq_length: 577,
    processor_class: "Florence2Processor",
  };
}

let dir: string;
const write = (file: string, value: unknown): void =>
  writeFileSync(join(dir, file), typeof value === "string" ? value : JSON.stringify(value));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "florence-cfg-"));
  write("config.json", microsoftConfig());
  write("preprocessor_config.json", preprocessor());
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("readModelConfig", () => {
  it("reads text_config, preprocessor fields and generation defaults from text_config", async () => {
    const cfg = await readModelConfig(dir);
    expect(cfg.modelType).toBe("florence2");
    expect(cfg.isEncoderDecoder).toBe(true);
    expect(cfg.projectionDim).toBe(768);
    expect(cfg.text).toEqual({
      modelType: "florence2_language",
      dModel: 768,
      encoderLayers: 6,
      decoderLayers: 6,
      encoderAttentionHeads: 12,
      decoderAttentionHeads: 12,
      encoderFfnDim: 3072,
      decoderFfnDim: 3072,
      vocabSize: 51289,
      maxPositionEmbeddings: 1024,
      bosTokenId: 0,
      eosTokenId: 2,
      padTokenId: 1,
      decoderStartTokenId: 2,
    });
    expect(cfg.generation).toEqual({
      numBeams: 3,
      noRepeatNgramSize: 3,
      forcedBosTokenId: 0,
      forcedEosTokenId: 2,
      decoderStartTokenId: 2,
      bosTokenId: 0,
      eosTokenId: 2,
      padTokenId: 1,
      earlyStopping: true,
      lengthPenalty: 1,
      maxLength: undefined,
      source: "config.json",
    });
    const { raw, ...pre } = cfg.preprocessor;
    expect(pre).toEqual({
      size: { width: 768, height: 768 },
      resample: 3,
      rescaleFactor: 1 / 255,
      imageMean: [0.485, 0.456, 0.406],
      imageStd: [0.229, 0.224, 0.225],
      imageSeqLength: 577,
    });
    expect(raw.processor_class).toBe("Florence2Processor");
  });

  it("prefers text_config's special ids over the old wrong top-level ones, with a warning", async () => {
    const cfg = await readModelConfig(dir);
    expect([cfg.text.bosTokenId, cfg.text.eosTokenId, cfg.text.padTokenId]).toEqual([0, 2, 1]);
    expect(cfg.warnings).toHaveLength(1);
    expect(cfg.warnings[0]).toMatch(
      /top-level bos_token_id 2 \(text_config: 0\), eos_token_id 1 \(text_config: 2\), pad_token_id 0 \(text_config: 1\)/,
    );
  });

  it("lets generation_config.json override text_config", async () => {
    write("generation_config.json", {
      num_beams: 1,
      early_stopping: false,
      length_penalty: 0.5,
      max_length: 64,
      no_repeat_ngram_size: 0,
      decoder_start_token_id: 2,
    });
    const g = (await readModelConfig(dir)).generation;
    expect([
      g.numBeams,
      g.earlyStopping,
      g.lengthPenalty,
      g.maxLength,
      g.noRepeatNgramSize,
      g.forcedBosTokenId,
      g.source,
    ]).toEqual([1, false, 0.5, 64, 0, 0, "generation_config.json"]);
  });

  it("uses BART ids and library defaults when the configs are minimal", async () => {
    const config = microsoftConfig();
    config.text_config = {
      d_model: 64,
      encoder_layers: 2,
      decoder_layers: 3,
      encoder_attention_heads: 4,
      decoder_attention_heads: 4,
      max_position_embeddings: 128,
    };
    delete config.bos_token_id;
    delete config.eos_token_id;
    delete config.pad_token_id;
    write("config.json", config);
    const { image_seq_length: _a, resample: _b, rescale_factor: _c, ...pre } = preprocessor();
    write("preprocessor_config.json", pre);
    const cfg = await readModelConfig(dir);
    expect([
      cfg.text.vocabSize,
      cfg.text.decoderLayers,
      cfg.text.bosTokenId,
      cfg.text.eosTokenId,
      cfg.text.padTokenId,
      cfg.text.decoderStartTokenId,
    ]).toEqual([51289, 3, 0, 2, 1, 2]);
    expect([
      cfg.generation.numBeams,
      cfg.generation.noRepeatNgramSize,
      cfg.generation.forcedBosTokenId,
      cfg.generation.earlyStopping,
    ]).toEqual([1, 0, undefined, false]);
    expect([cfg.preprocessor.imageSeqLength, cfg.preprocessor.resample, cfg.preprocessor.rescaleFactor]).toEqual([
      undefined,
      3,
      1 / 255,
    ]);
    expect(cfg.warnings).toEqual([]);
  });

  const textConfig = (patch: Json): Json => ({
    ...microsoftConfig(),
    text_config: { ...(microsoftConfig().text_config as Json), ...patch },
  });
  const without = (obj: Json, key: string): Json => Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key));

  it.each([
    ["config.json", "{ not json", /^config\.json is not valid JSON/],
    ["config.json", [1, 2], /^config\.json must hold a JSON object, got an array/],
    ["config.json", without(microsoftConfig(), "model_type"), /^config\.json: field "model_type" is missing/],
    [
      "config.json",
      { ...microsoftConfig(), model_type: "bart" },
      /^config\.json: model_type is "bart", not "florence2"/,
    ],
    ["config.json", without(microsoftConfig(), "text_config"), /^config\.json: field "text_config" is missing/],
    [
      "config.json",
      textConfig({ d_model: "768" }),
      /^config\.json: field "text_config\.d_model" must be an integer >= 1, got "768"/,
    ],
    [
      "config.json",
      textConfig({ decoder_layers: undefined }),
      /^config\.json: field "text_config\.decoder_layers" is missing/,
    ],
    [
      "config.json",
      textConfig({ decoder_attention_heads: 7 }),
      /"text_config\.decoder_attention_heads" \(7\) must divide d_model \(768\)/,
    ],
    [
      "config.json",
      { ...textConfig({ vocab_size: undefined }), vocab_size: undefined },
      /"text_config\.vocab_size" is missing/,
    ],
    ["config.json", textConfig({ num_beams: 0 }), /"text_config\.num_beams" must be an integer >= 1, got 0/],
    [
      "generation_config.json",
      { early_stopping: "yes" },
      /^generation_config\.json: field "early_stopping" must be true or false/,
    ],
    [
      "preprocessor_config.json",
      without(preprocessor(), "size"),
      /^preprocessor_config\.json: field "size" is missing/,
    ],
    [
      "preprocessor_config.json",
      { ...preprocessor(), size: { height: 768 } },
      /^preprocessor_config\.json: field "size\.width" is missing/,
    ],
    [
      "preprocessor_config.json",
      { ...preprocessor(), image_std: [0.2, 0, 0.2] },
      /field "image_std" must be an array of 3 positive numbers/,
    ],
    [
      "preprocessor_config.json",
      { ...preprocessor(), image_mean: [0.5, 0.5] },
      /field "image_mean" must be an array of 3 numbers/,
    ],
  ])("fails for a bad %s (%#)", async (file, content, message) => {
    write(file, content);
    const error = await readModelConfig(dir).catch((e: unknown) => e);
    expect(isFlorenceError(error) && error.kind === "model_load", String(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it("names a missing required file", async () => {
    rmSync(join(dir, "preprocessor_config.json"));
    await expect(readModelConfig(dir)).rejects.toThrow(/cannot read preprocessor_config\.json/);
  });
});
