/**
 * The four-session ONNX contract of Florence-2 (onnx-community / transformers.js layout), checked
 * against what the sessions themselves declare rather than assumed: names, element types and dims
 * come from ORT's inputMetadata/outputMetadata and are cross-checked with config.json
 * (docs/onnx-contract.md#7-what-the-loader-checks). The result names every tensor and element
 * type the stages feed (KV names, present→past mapping, dtypes, sizes, head counts); the decoder
 * contract is the cache layout the decoder stepper runs with (models/generation/decoder-layout.ts,
 * which also owns the cache-name grammar). Pure functions over metadata, so every rule is
 * unit-tested without ONNX files.
 */
import type { InferenceSession, Tensor } from "onnxruntime-node";
import { FlorenceError } from "../errors.js";
import {
  type DecoderCacheLayout,
  type KvTensorLayout,
  parsePastName,
  pastName,
  presentName,
} from "../generation/decoder-layout.js";
import type { TextConfig } from "./text-config.js";

/** Metadata of one session, as ORT 1.30 reports it. */
export interface SessionMetadata {
  /** Folder-relative path, for messages, e.g. "onnx/decoder_model_merged_fp16.onnx". */
  readonly file: string;
  readonly inputs: readonly InferenceSession.ValueMetadata[];
  readonly outputs: readonly InferenceSession.ValueMetadata[];
}

export type FloatType = "float16" | "float32";
/** A number, or the symbolic name ORT reports ("batch_size"; "" for an unnamed dim). */
export type Dim = number | string;

export interface TensorSpec<T extends Tensor.Type = Tensor.Type> {
  readonly name: string;
  readonly type: T;
  /** As declared; [] when the graph does not declare a shape. */
  readonly dims: readonly Dim[];
}

export interface VisionContract {
  readonly pixelValues: TensorSpec<FloatType>;
  readonly imageFeatures: TensorSpec<FloatType>;
  /** Image tokens per image (577 for released checkpoints) when the graph declares it. */
  readonly imageTokens: number | undefined;
}

export interface EmbedContract {
  readonly inputIds: TensorSpec<"int64">;
  readonly inputsEmbeds: TensorSpec<FloatType>;
}

export interface EncoderContract {
  readonly inputsEmbeds: TensorSpec<FloatType>;
  readonly attentionMask: TensorSpec<"int64">;
  readonly lastHiddenState: TensorSpec<FloatType>;
}

/** One cached key or value tensor of the decoder. */
export interface KvEntry extends KvTensorLayout {
  readonly layer: number;
  /** "decoder" = self-attention (grows each step), "encoder" = cross-attention (fixed after step 1). */
  readonly attention: "decoder" | "encoder";
  readonly tensor: "key" | "value";
  /** Input name: past_key_values.{layer}.{attention}.{tensor}. */
  readonly past: string;
  /** Output name: present.{layer}.{attention}.{tensor}. */
  readonly present: string;
  readonly type: FloatType;
  /** Declared dims of the past input, [batch, heads, seq, headDim] (or [] if undeclared). */
  readonly dims: readonly Dim[];
}

/** The decoder's tensors; as a DecoderCacheLayout it is what the decoder stepper runs with. */
export interface DecoderContract extends DecoderCacheLayout {
  readonly layers: number;
  readonly heads: number;
  readonly headDim: number;
  readonly dModel: number;
  readonly vocabSize: number;
  readonly inputsEmbeds: TensorSpec<FloatType>;
  readonly encoderHiddenStates: TensorSpec<FloatType>;
  readonly encoderAttentionMask: TensorSpec<"int64">;
  /** The merged decoder's bool[1] switch (false on the first step, true after); undefined when absent. */
  readonly useCacheBranch: TensorSpec<"bool"> | undefined;
  readonly logits: TensorSpec<FloatType>;
  /** Ordered by layer, then decoder.key, decoder.value, encoder.key, encoder.value. */
  readonly kv: readonly KvEntry[];
  /** Element type of every past/present tensor (they are fed back, so they all agree). */
  readonly kvType: FloatType;
  /** present.* output name → past_key_values.* input name. */
  readonly presentToPast: Readonly<Record<string, string>>;
}

export interface ModelContract {
  readonly vision: VisionContract;
  readonly embed: EmbedContract;
  readonly encoder: EncoderContract;
  readonly decoder: DecoderContract;
}

/** Collects problems of one file, to report them together. */
class Problems {
  readonly list: string[] = [];
  constructor(readonly file: string) {}
  add(problem: string): void {
    this.list.push(problem);
  }
  throwIfAny(): void {
    if (this.list.length === 0) return;
    const shown = this.list.slice(0, 6).join("; ");
    const more = this.list.length > 6 ? `; and ${this.list.length - 6} more` : "";
    throw new FlorenceError("model_load", `${this.file}: ${shown}${more}`);
  }
}

const isFloat = (t: Tensor.Type): t is FloatType => t === "float32" || t === "float16";
const showDims = (dims: readonly Dim[]): string =>
  `[${dims.map((d) => (typeof d === "number" ? d : JSON.stringify(d))).join(", ")}]`;

type Direction = "input" | "output";

/** Up to 6 names, so a decoder with dozens of cache inputs still gives a readable message. */
function listNames(values: readonly InferenceSession.ValueMetadata[]): string {
  if (values.length === 0) return "none";
  const names = values.map((v) => v.name);
  return names.length <= 6 ? names.join(", ") : `${names.slice(0, 6).join(", ")}, … (${names.length} in all)`;
}

function find(meta: SessionMetadata, dir: Direction, name: string): InferenceSession.ValueMetadata | undefined {
  return (dir === "input" ? meta.inputs : meta.outputs).find((v) => v.name === name);
}

/** The tensor named `name`, checked for type and rank; undefined (with a problem noted) when unusable. */
function tensor<T extends Tensor.Type>(
  meta: SessionMetadata,
  p: Problems,
  dir: Direction,
  name: string,
  accepts: (t: Tensor.Type) => t is T,
  typeText: string,
  rank: number,
): TensorSpec<T> | undefined {
  const v = find(meta, dir, name);
  if (v === undefined) {
    p.add(`${dir} ${name} is missing (the ${dir}s are ${listNames(dir === "input" ? meta.inputs : meta.outputs)})`);
    return undefined;
  }
  if (!v.isTensor) {
    p.add(`${dir} ${name} is not a tensor`);
    return undefined;
  }
  if (!accepts(v.type)) {
    p.add(`${dir} ${name} has element type ${v.type}, expected ${typeText}`);
    return undefined;
  }
  if (v.shape.length !== 0 && v.shape.length !== rank) {
    p.add(`${dir} ${name} has ${v.shape.length} dims ${showDims(v.shape)}, expected ${rank}`);
    return undefined;
  }
  return { name, type: v.type, dims: v.shape };
}

const floatTensor = (meta: SessionMetadata, p: Problems, dir: Direction, name: string, rank: number) =>
  tensor(meta, p, dir, name, isFloat, "float32 or float16", rank);
const int64Tensor = (meta: SessionMetadata, p: Problems, dir: Direction, name: string, rank: number) =>
  tensor(meta, p, dir, name, (t): t is "int64" => t === "int64", "int64", rank);

/** Inputs we would not know how to feed are an error: ORT would fail at the first run otherwise. */
function rejectUnknownInputs(meta: SessionMetadata, p: Problems, known: (name: string) => boolean): void {
  for (const v of meta.inputs) if (!known(v.name)) p.add(`input ${v.name} is not part of the Florence-2 contract`);
}

/** Checks a numeric dim against the expected size; symbolic dims pass. */
function checkDim(p: Problems, spec: TensorSpec | undefined, axis: number, expected: number, what: string): void {
  const d = spec?.dims[axis];
  if (spec !== undefined && typeof d === "number" && d !== expected) {
    p.add(`${spec.name} dim ${axis} is ${d} but ${what} is ${expected}`);
  }
}

function numericDim(spec: TensorSpec | undefined, axis: number): number | undefined {
  const d = spec?.dims[axis];
  return typeof d === "number" ? d : undefined;
}

export function validateVision(
  meta: SessionMetadata,
  text: TextConfig,
  imageSeqLength: number | undefined,
): VisionContract {
  const p = new Problems(meta.file);
  const pixelValues = floatTensor(meta, p, "input", "pixel_values", 4);
  checkDim(p, pixelValues, 1, 3, "the number of RGB channels");
  rejectUnknownInputs(meta, p, (n) => n === "pixel_values");
  const imageFeatures = floatTensor(meta, p, "output", "image_features", 3);
  checkDim(p, imageFeatures, 2, text.dModel, "config.json text_config.d_model");
  const imageTokens = numericDim(imageFeatures, 1);
  if (imageTokens !== undefined && imageSeqLength !== undefined && imageTokens !== imageSeqLength) {
    p.add(
      `output image_features has ${imageTokens} image tokens but preprocessor_config.json image_seq_length is ${imageSeqLength}`,
    );
  }
  p.throwIfAny();
  return { pixelValues: pixelValues!, imageFeatures: imageFeatures!, imageTokens: imageTokens ?? imageSeqLength };
}

export function validateEmbed(meta: SessionMetadata, text: TextConfig): EmbedContract {
  const p = new Problems(meta.file);
  const inputIds = int64Tensor(meta, p, "input", "input_ids", 2);
  rejectUnknownInputs(meta, p, (n) => n === "input_ids");
  const inputsEmbeds = floatTensor(meta, p, "output", "inputs_embeds", 3);
  checkDim(p, inputsEmbeds, 2, text.dModel, "config.json text_config.d_model");
  p.throwIfAny();
  return { inputIds: inputIds!, inputsEmbeds: inputsEmbeds! };
}

export function validateEncoder(meta: SessionMetadata, text: TextConfig): EncoderContract {
  const p = new Problems(meta.file);
  if (find(meta, "input", "input_ids") !== undefined && find(meta, "input", "inputs_embeds") === undefined) {
    p.add(
      "the encoder takes input_ids instead of inputs_embeds, so image features cannot be merged in; use an onnx-community (transformers.js) export",
    );
    p.throwIfAny();
  }
  const inputsEmbeds = floatTensor(meta, p, "input", "inputs_embeds", 3);
  checkDim(p, inputsEmbeds, 2, text.dModel, "config.json text_config.d_model");
  const attentionMask = int64Tensor(meta, p, "input", "attention_mask", 2);
  rejectUnknownInputs(meta, p, (n) => n === "inputs_embeds" || n === "attention_mask");
  const lastHiddenState = floatTensor(meta, p, "output", "last_hidden_state", 3);
  checkDim(p, lastHiddenState, 2, text.dModel, "config.json text_config.d_model");
  p.throwIfAny();
  return { inputsEmbeds: inputsEmbeds!, attentionMask: attentionMask!, lastHiddenState: lastHiddenState! };
}

const KV_PARTS = [
  ["decoder", "key"],
  ["decoder", "value"],
  ["encoder", "key"],
  ["encoder", "value"],
] as const;
const DECODER_INPUTS = new Set([
  "inputs_embeds",
  "encoder_hidden_states",
  "encoder_attention_mask",
  "use_cache_branch",
]);

/** Layer count from the past inputs, checked against config.json; problems for a mismatch. */
function decoderLayers(meta: SessionMetadata, p: Problems, configLayers: number): number {
  const indices = meta.inputs.flatMap((v) => parsePastName(v.name)?.layer ?? []);
  const layers = indices.length === 0 ? 0 : Math.max(...indices) + 1;
  if (layers < configLayers) {
    p.add(
      `input past_key_values.${layers}.decoder.key is missing; the decoder has ${layers} layers but config.json says ${configLayers} (text_config.decoder_layers)`,
    );
  } else if (layers > configLayers) {
    p.add(
      `the decoder has past_key_values inputs for ${layers} layers but config.json says ${configLayers} (text_config.decoder_layers)`,
    );
  }
  return Math.min(layers, configLayers);
}

export function validateDecoder(meta: SessionMetadata, text: TextConfig): DecoderContract {
  const p = new Problems(meta.file);
  const inputsEmbeds = floatTensor(meta, p, "input", "inputs_embeds", 3);
  const encoderHiddenStates = floatTensor(meta, p, "input", "encoder_hidden_states", 3);
  const encoderAttentionMask = int64Tensor(meta, p, "input", "encoder_attention_mask", 2);
  for (const spec of [inputsEmbeds, encoderHiddenStates])
    checkDim(p, spec, 2, text.dModel, "config.json text_config.d_model");
  const useCacheBranch =
    find(meta, "input", "use_cache_branch") === undefined
      ? undefined
      : tensor(meta, p, "input", "use_cache_branch", (t): t is "bool" => t === "bool", "bool", 1);
  const logits = floatTensor(meta, p, "output", "logits", 3);
  checkDim(p, logits, 2, text.vocabSize, "config.json text_config.vocab_size");

  const layers = decoderLayers(meta, p, text.decoderLayers);
  const heads = text.decoderAttentionHeads;
  const headDim = text.dModel / heads;
  const kv: KvEntry[] = [];
  for (let layer = 0; layer < layers; layer++) {
    for (const [attention, part] of KV_PARTS) {
      const name = { layer, attention, tensor: part };
      const past = floatTensor(meta, p, "input", pastName(name), 4);
      const present = floatTensor(meta, p, "output", presentName(name), 4);
      if (past === undefined || present === undefined) continue;
      checkDim(p, past, 1, heads, "config.json text_config.decoder_attention_heads");
      checkDim(p, past, 3, headDim, "d_model / decoder_attention_heads");
      if (present.type !== past.type)
        p.add(
          `output ${present.name} is ${present.type} but input ${past.name} is ${past.type}; the cache is fed back, so they must agree`,
        );
      kv.push({
        layer,
        attention,
        tensor: part,
        past: past.name,
        present: present.name,
        type: past.type,
        dims: past.dims,
      });
    }
  }
  rejectUnknownInputs(meta, p, (n) => DECODER_INPUTS.has(n) || parsePastName(n) !== undefined);
  const kvTypes = new Set(kv.map((e) => e.type));
  if (kvTypes.size > 1)
    p.add(`past_key_values mix element types (${[...kvTypes].join(", ")}); expected one type for the whole cache`);
  p.throwIfAny();
  return {
    layers,
    heads,
    headDim,
    dModel: text.dModel,
    vocabSize: numericDim(logits, 2) ?? text.vocabSize,
    inputsEmbeds: inputsEmbeds!,
    encoderHiddenStates: encoderHiddenStates!,
    encoderAttentionMask: encoderAttentionMask!,
    useCacheBranch,
    logits: logits!,
    kv,
    kvType: kv[0]?.type ?? "float32",
    presentToPast: Object.fromEntries(kv.map((e) => [e.present, e.past])),
  };
}
