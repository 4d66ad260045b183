/**
 * Which ONNX file of each session to load, from the requested precision. The suffixes follow the
 * onnx-community / transformers.js convention, so a repo exported for transformers.js loads here.
 */
import type { ModelDtype } from "../engine.js";
import { FlorenceError } from "../errors.js";

/** The four graphs of the Florence-2 ONNX export, by file base name. */
export const MODEL_FILES = ["vision_encoder", "embed_tokens", "encoder_model", "decoder_model_merged"] as const;
export type ModelFileName = (typeof MODEL_FILES)[number];

/** File-name suffix of each precision (transformers.js `DEFAULT_DTYPE_SUFFIX_MAPPING`). */
export const DTYPE_SUFFIXES: Readonly<Record<ModelDtype, string>> = {
  fp32: "",
  fp16: "_fp16",
  q8: "_quantized",
  int8: "_int8",
  uint8: "_uint8",
  q4: "_q4",
  q4f16: "_q4f16",
  bnb4: "_bnb4",
};

export const MODEL_DTYPES = Object.keys(DTYPE_SUFFIXES) as readonly ModelDtype[];

/**
 * One precision for every file, or a per-file map like transformers.js accepts, e.g.
 * `{ vision_encoder: "fp16", decoder_model_merged: "q4" }`; files the map leaves out use fp32.
 */
export type DtypeSpec = ModelDtype | Readonly<Partial<Record<ModelFileName, ModelDtype>>>;

/** The precision chosen for each file. */
export type FileDtypes = Readonly<Record<ModelFileName, ModelDtype>>;

/** The default precision: what onnx-community ships for CPU and what transformers.js uses on Node. */
export const DEFAULT_DTYPE: ModelDtype = "fp32";

export function isModelDtype(value: unknown): value is ModelDtype {
  return typeof value === "string" && Object.hasOwn(DTYPE_SUFFIXES, value);
}

/** Expands a DtypeSpec to one precision per file; unknown keys or values are `invalid_argument`. */
export function resolveFileDtypes(spec: DtypeSpec = DEFAULT_DTYPE): FileDtypes {
  if (typeof spec === "string") {
    assertDtype(spec, "dtype");
    return { vision_encoder: spec, embed_tokens: spec, encoder_model: spec, decoder_model_merged: spec };
  }
  for (const [key, value] of Object.entries(spec)) {
    if (!(MODEL_FILES as readonly string[]).includes(key)) {
      throw new FlorenceError(
        "invalid_argument",
        `dtype map key "${key}" is not a model file; use ${MODEL_FILES.join(", ")}`,
        {
          violations: [{ field: `dtype.${key}`, description: "unknown model file" }],
        },
      );
    }
    assertDtype(value, `dtype.${key}`);
  }
  return {
    vision_encoder: spec.vision_encoder ?? DEFAULT_DTYPE,
    embed_tokens: spec.embed_tokens ?? DEFAULT_DTYPE,
    encoder_model: spec.encoder_model ?? DEFAULT_DTYPE,
    decoder_model_merged: spec.decoder_model_merged ?? DEFAULT_DTYPE,
  };
}

function assertDtype(value: unknown, field: string): asserts value is ModelDtype {
  if (!isModelDtype(value)) {
    throw new FlorenceError(
      "invalid_argument",
      `${field} ${JSON.stringify(value)} is not a model precision; use one of ${MODEL_DTYPES.join(", ")}`,
      {
        violations: [{ field, description: "unknown precision" }],
      },
    );
  }
}

/** Repo-relative path of one graph, e.g. onnxFilePath("decoder_model_merged", "q8") = "onnx/decoder_model_merged_quantized.onnx". */
export function onnxFilePath(file: ModelFileName, dtype: ModelDtype): string {
  return `onnx/${file}${DTYPE_SUFFIXES[dtype]}.onnx`;
}

/** All four graph paths for the chosen precisions, keyed by file. */
export function onnxFilePaths(dtypes: FileDtypes): Readonly<Record<ModelFileName, string>> {
  return {
    vision_encoder: onnxFilePath("vision_encoder", dtypes.vision_encoder),
    embed_tokens: onnxFilePath("embed_tokens", dtypes.embed_tokens),
    encoder_model: onnxFilePath("encoder_model", dtypes.encoder_model),
    decoder_model_merged: onnxFilePath("decoder_model_merged", dtypes.decoder_model_merged),
  };
}

/**
 * The precisions for which all four graphs are present in a file list (repo-relative paths), for
 * "this dtype is not available; the folder has …" messages.
 */
export function availableDtypes(paths: Iterable<string>): ModelDtype[] {
  const have = new Set(paths);
  return MODEL_DTYPES.filter((d) => MODEL_FILES.every((f) => have.has(onnxFilePath(f, d))));
}

/** Describes a FileDtypes compactly: "fp16" when uniform, else "vision_encoder=fp16, …". */
export function describeDtypes(dtypes: FileDtypes): string {
  const values = new Set(Object.values(dtypes));
  if (values.size === 1) return dtypes.vision_encoder;
  return MODEL_FILES.map((f) => `${f}=${dtypes[f]}`).join(", ");
}
