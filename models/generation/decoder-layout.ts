/**
 * The decoder's cache layout, written once (docs/onnx-contract.md#52-past-and-present-names): the
 * grammar of the past/present names, what the ORT stepper needs to know about
 * `decoder_model_merged` (its cache tensors: past input name, present output name, self- or
 * cross-attention, element type, declared dims; and whether it has `use_cache_branch`), and the
 * dims of the empty past of the first step. models/loading's validated DecoderContract is such a
 * layout, with the head counts; readDecoderLayout derives one from the session metadata alone
 * when no contract is at hand (tests, benchmarks).
 */
import type { InferenceSession } from "onnxruntime-node";
import { FlorenceError } from "../errors.js";

export type KvFloatType = "float32" | "float16";

export interface KvTensorLayout {
  /** Input name, past_key_values.{layer}.{attention}.{key|value}. */
  readonly past: string;
  /** Output name, present.{layer}.{attention}.{key|value}. */
  readonly present: string;
  /** "decoder" = self-attention (grows each step); "encoder" = cross-attention (fixed after step 0). */
  readonly attention: "decoder" | "encoder";
  readonly type: KvFloatType;
  /** Declared dims of the past input, numbers or symbolic names; [] when undeclared. */
  readonly dims: readonly (number | string)[];
}

export interface DecoderCacheLayout {
  readonly kv: readonly KvTensorLayout[];
  /** The merged decoder's bool[1] branch switch; undefined when the graph has none. */
  readonly useCacheBranch: { readonly name: string } | undefined;
  /** Attention heads and head size, used where the past dims are symbolic. */
  readonly heads?: number;
  readonly headDim?: number;
}

const PAST = /^past_key_values\.(\d+)\.(decoder|encoder)\.(key|value)$/;

/** The parts of a cache tensor's name: past_key_values.{layer}.{attention}.{tensor}. */
export interface CacheName {
  readonly layer: number;
  readonly attention: "decoder" | "encoder";
  readonly tensor: "key" | "value";
}

/** The parts of a past input's name; undefined for any other name. */
export function parsePastName(name: string): CacheName | undefined {
  const m = PAST.exec(name);
  if (m === null) return undefined;
  return { layer: Number(m[1]), attention: m[2] as CacheName["attention"], tensor: m[3] as CacheName["tensor"] };
}

/** The past input fed with a cache tensor. */
export function pastName(c: CacheName): string {
  return `past_key_values.${c.layer}.${c.attention}.${c.tensor}`;
}

/** The present output that returns a cache tensor. */
export function presentName(c: CacheName): string {
  return `present.${c.layer}.${c.attention}.${c.tensor}`;
}

/** Reads the cache layout from the decoder session's metadata; FlorenceError("model_load") when it does not fit. */
export function readDecoderLayout(
  decoder: Pick<InferenceSession, "inputMetadata" | "outputNames">,
): DecoderCacheLayout {
  const kv: KvTensorLayout[] = [];
  const problems: string[] = [];
  for (const input of decoder.inputMetadata) {
    const parts = parsePastName(input.name);
    if (parts === undefined) continue;
    const present = presentName(parts);
    if (!decoder.outputNames.includes(present)) problems.push(`output ${present} is missing for input ${input.name}`);
    if (!input.isTensor || (input.type !== "float32" && input.type !== "float16")) {
      problems.push(`input ${input.name} must be a float32 or float16 tensor`);
      continue;
    }
    kv.push({ past: input.name, present, attention: parts.attention, type: input.type, dims: input.shape });
  }
  if (kv.length === 0) problems.push("it has no past_key_values.* inputs");
  if (problems.length > 0) {
    throw new FlorenceError(
      "model_load",
      `decoder_model_merged does not fit the cached-decoder contract: ${problems.join("; ")}`,
    );
  }
  const branch = decoder.inputMetadata.find((m) => m.name === "use_cache_branch");
  return { kv, useCacheBranch: branch === undefined ? undefined : { name: branch.name } };
}

/**
 * Dims of an empty past tensor for the first step (transformers.js rule): the batch dim = rows,
 * every other symbolic dim = 0, numeric dims kept; heads/headDim fill symbolic dims 1 and 3 when known.
 */
export function emptyPastDims(entry: KvTensorLayout, rows: number, layout: DecoderCacheLayout): number[] {
  const dims = entry.dims.length === 4 ? entry.dims : ["batch_size", "heads", "past", "head_dim"];
  return dims.map((d, axis) => {
    if (axis === 0) return rows;
    if (typeof d === "number") return axis === 2 ? 0 : d;
    if (axis === 1) return layout.heads ?? 0;
    if (axis === 3) return layout.headDim ?? 0;
    return 0;
  });
}
