import { describe, expect, it } from "vitest";
import { isFlorenceError } from "../errors.js";
import type { DtypeSpec } from "./dtype.js";
import { availableDtypes, describeDtypes, onnxFilePath, resolveFileDtypes } from "./dtype.js";
import { externalDataFiles, modelFileList } from "./model-files.js";

describe("onnxFilePath", () => {
  it.each([
    ["fp32", "onnx/encoder_model.onnx"],
    ["fp16", "onnx/encoder_model_fp16.onnx"],
    ["q8", "onnx/encoder_model_quantized.onnx"],
    ["int8", "onnx/encoder_model_int8.onnx"],
    ["uint8", "onnx/encoder_model_uint8.onnx"],
    ["q4", "onnx/encoder_model_q4.onnx"],
    ["q4f16", "onnx/encoder_model_q4f16.onnx"],
    ["bnb4", "onnx/encoder_model_bnb4.onnx"],
  ] as const)("%s → %s", (dtype, path) => {
    expect(onnxFilePath("encoder_model", dtype)).toBe(path);
  });
});

describe("resolveFileDtypes", () => {
  it("expands one dtype to all files, and a map with fp32 for the rest", () => {
    expect(resolveFileDtypes("q8")).toEqual({
      vision_encoder: "q8",
      embed_tokens: "q8",
      encoder_model: "q8",
      decoder_model_merged: "q8",
    });
    const mixed = resolveFileDtypes({ vision_encoder: "fp16", decoder_model_merged: "q4" });
    expect(mixed).toEqual({
      vision_encoder: "fp16",
      embed_tokens: "fp32",
      encoder_model: "fp32",
      decoder_model_merged: "q4",
    });
    expect(describeDtypes(mixed)).toBe(
      "vision_encoder=fp16, embed_tokens=fp32, encoder_model=fp32, decoder_model_merged=q4",
    );
    expect(resolveFileDtypes()).toEqual(resolveFileDtypes("fp32"));
  });

  it.each([
    ["fp64", /dtype "fp64" is not a model precision/],
    [{ decoder: "fp16" }, /dtype map key "decoder" is not a model file/],
    [{ embed_tokens: "half" }, /dtype\.embed_tokens "half"/],
  ])("rejects %j", (spec, message) => {
    let error: unknown;
    try {
      resolveFileDtypes(spec as DtypeSpec);
    } catch (e) {
      error = e;
    }
    expect(isFlorenceError(error) && error.kind === "invalid_argument").toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});

describe("file lists", () => {
  it("lists JSON files then the four graphs, with generation_config.json optional", () => {
    const list = modelFileList(resolveFileDtypes("fp16"));
    expect(list.map((f) => f.path)).toEqual([
      "config.json",
      "generation_config.json",
      "preprocessor_config.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "onnx/vision_encoder_fp16.onnx",
      "onnx/embed_tokens_fp16.onnx",
      "onnx/encoder_model_fp16.onnx",
      "onnx/decoder_model_merged_fp16.onnx",
    ]);
    expect(list.filter((f) => !f.required).map((f) => f.path)).toEqual(["generation_config.json"]);
  });

  it("finds complete dtypes and external-data files", () => {
    const graphs = (s: string) =>
      ["vision_encoder", "embed_tokens", "encoder_model", "decoder_model_merged"].map((g) => `onnx/${g}${s}.onnx`);
    expect(availableDtypes([...graphs(""), ...graphs("_quantized"), "onnx/vision_encoder_fp16.onnx"])).toEqual([
      "fp32",
      "q8",
    ]);
    const files = ["onnx/a.onnx", "onnx/a.onnx_data", "onnx/a.onnx_data_1", "onnx/a.onnx_datax", "onnx/ab.onnx_data"];
    expect(externalDataFiles("onnx/a.onnx", files)).toEqual(["onnx/a.onnx_data", "onnx/a.onnx_data_1"]);
  });
});
