/**
 * Toy stand-ins for `embed_tokens` and an Optimum-style merged `decoder_model_merged`, with the
 * real I/O contract (names, use_cache_branch, present -> past, empty cross-K/V placeholders on the
 * cache branch) but arithmetic small enough to recompute from a prefix directly (`toyLogits`).
 * The logits depend on every cached position and on the cross K/V, so any cache plumbing error
 * (wrong gather, re-feeding the placeholder, stale rows) changes them.
 */
import { type InferenceSession, Tensor } from "onnxruntime-node";
import type { StepperSession } from "../../../models/generation/ort-stepper.js";

const D = 2;
export const TOY_VOCAB = 23;

type Feeds = InferenceSession.FeedsType;

function meta(name: string, type: Tensor.Type, shape: (number | string)[]): InferenceSession.ValueMetadata {
  return { name, isTensor: true, type, shape };
}

export function toyEmbedTokens(): StepperSession {
  return {
    inputNames: ["input_ids"],
    outputNames: ["inputs_embeds"],
    inputMetadata: [meta("input_ids", "int64", ["batch_size", "sequence_length"])],
    run: async (feeds: Feeds) => {
      const ids = feeds.input_ids!.data as BigInt64Array;
      const data = new Float32Array(ids.length * D);
      ids.forEach((t, i) => {
        data[i * D] = Number(t);
        data[i * D + 1] = 0.5;
      });
      return { inputs_embeds: new Tensor("float32", data, [ids.length, 1, D]) };
    },
  };
}

/** logits[v] of a row whose decoder prefix is `prefix` and whose (masked) encoder states sum to `crossSum`. */
export function toyLogits(prefix: readonly number[], crossSum: number): Float32Array {
  const selfSum = prefix.reduce((s, t, i) => s + (i + 1) * t, 0);
  return Float32Array.from(
    { length: TOY_VOCAB },
    (_, v) => 3 * Math.cos(v * 0.37 * ((selfSum % 97) + 1) + crossSum * 0.11),
  );
}

export interface ToyDecoder extends StepperSession {
  /** Every run's feeds, for assertions. */
  readonly calls: Feeds[];
}

const PAST = [
  "past_key_values.0.decoder.key",
  "past_key_values.0.decoder.value",
  "past_key_values.0.encoder.key",
  "past_key_values.0.encoder.value",
];

export function toyDecoder(): ToyDecoder {
  const calls: Feeds[] = [];
  const inputMetadata = [
    meta("inputs_embeds", "float32", ["batch_size", "decoder_sequence_length", D]),
    meta("encoder_hidden_states", "float32", ["batch_size", "encoder_sequence_length", D]),
    meta("encoder_attention_mask", "int64", ["batch_size", "encoder_sequence_length"]),
    ...PAST.map((n) =>
      meta(n, "float32", [
        "batch_size",
        1,
        n.includes("decoder") ? "past_decoder_sequence_length" : "encoder_sequence_length_out",
        D,
      ]),
    ),
    meta("use_cache_branch", "bool", [1]),
  ];
  const outputNames = ["logits", ...PAST.map((n) => n.replace("past_key_values", "present"))];
  return {
    calls,
    inputNames: inputMetadata.map((m) => m.name),
    outputNames,
    inputMetadata,
    run: async (feeds: Feeds) => {
      calls.push(feeds);
      const missing = inputMetadata.filter((m) => feeds[m.name] === undefined).map((m) => m.name);
      if (missing.length > 0) throw new Error(`missing inputs ${missing.join(", ")}`);
      const useCache = (feeds.use_cache_branch!.data as Uint8Array)[0] === 1;
      const embeds = feeds.inputs_embeds!.data as Float32Array;
      const rows = feeds.inputs_embeds!.dims[0]!;
      const past = feeds["past_key_values.0.decoder.key"]!;
      const pastLen = useCache ? past.dims[2]! : 0;
      if (useCache && past.dims[0] !== rows) throw new Error(`past has ${past.dims[0]} rows, embeds ${rows}`);
      // Self K/V: past (cache branch only) followed by this step's embedding.
      const selfKv = new Float32Array(rows * (pastLen + 1) * D);
      for (let r = 0; r < rows; r++) {
        if (useCache)
          selfKv.set(
            (past.data as Float32Array).subarray(r * pastLen * D, (r + 1) * pastLen * D),
            r * (pastLen + 1) * D,
          );
        selfKv.set(embeds.subarray(r * D, (r + 1) * D), (r * (pastLen + 1) + pastLen) * D);
      }
      // Cross K/V: projected from the encoder states without cache, read from the past with it.
      const hidden = feeds.encoder_hidden_states!;
      const mask = feeds.encoder_attention_mask!.data as BigInt64Array;
      const s = hidden.dims[1]!;
      let cross = feeds["past_key_values.0.encoder.key"]!;
      if (!useCache) {
        const h = hidden.data as Float32Array;
        cross = new Tensor(
          "float32",
          Float32Array.from(h, (x, i) => x * Number(mask[Math.floor(i / D)]!)),
          [rows, 1, s, D],
        );
      }
      if (cross.dims[0] !== rows) throw new Error(`cross K/V has ${cross.dims[0]} rows, embeds ${rows}`);
      const logits = new Float32Array(rows * TOY_VOCAB);
      const crossLen = cross.dims[2]!;
      for (let r = 0; r < rows; r++) {
        const prefix = Array.from({ length: pastLen + 1 }, (_, p) => selfKv[(r * (pastLen + 1) + p) * D]!);
        const c = (cross.data as Float32Array)
          .subarray(r * crossLen * D, (r + 1) * crossLen * D)
          .reduce((a, b) => a + b, 0);
        logits.set(toyLogits(prefix, c), r * TOY_VOCAB);
      }
      const selfT = new Tensor("float32", selfKv, [rows, 1, pastLen + 1, D]);
      // Optimum's cache branch returns empty constants for the cross K/V.
      const crossOut = useCache ? new Tensor("float32", new Float32Array(0), [0, 1, 1, D]) : cross;
      return {
        logits: new Tensor("float32", logits, [rows, 1, TOY_VOCAB]),
        "present.0.decoder.key": selfT,
        "present.0.decoder.value": selfT,
        "present.0.encoder.key": crossOut,
        "present.0.encoder.value": crossOut,
      };
    },
  };
}
