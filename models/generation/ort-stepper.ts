/**
 * DecoderStepper on onnxruntime: `embed_tokens` for the last token of each row, then
 * `decoder_model_merged` with the KV cache (transformers.js' per-step loop; the tensors are in
 * docs/onnx-contract.md#51-use_cache_branch, the loop in docs/generation.md#9-kv-cache-and-the-decoder-step):
 * - step 0: use_cache_branch = false, empty past tensors; its present.*.encoder.* (cross-attention
 *   K/V) are kept for the whole decode: later steps return empty placeholders there;
 * - later steps: use_cache_branch = true, past.*.decoder.* = the previous step's present.*.decoder.*
 *   gathered by rowSources, past.*.encoder.* = the step-0 cross K/V of each row's request.
 * Encoder states, mask and cross K/V only depend on each row's request, so they are re-gathered
 * only when the row -> request mapping changes (a request left the batch), not on beam reorders.
 * After step 0 the decoder is asked only for the outputs the next step reads (`laterStepFetches`):
 * logits and the self-attention present.*, never the cross-attention placeholders.
 */
import { type InferenceSession, Tensor } from "onnxruntime-node";
import { FlorenceError } from "../errors.js";
import { type DecoderCacheLayout, emptyPastDims, readDecoderLayout } from "./decoder-layout.js";
import { float16ToFloat32 } from "./float16.js";
import { castFloat, gatherRows, isIdentity } from "./kv-cache.js";
import type { DecoderStepInput, DecoderStepper, StepLogits } from "./types.js";

/** The part of an onnxruntime InferenceSession the stepper uses (a real session fits). */
export type StepperSession = Pick<InferenceSession, "inputNames" | "outputNames" | "inputMetadata" | "run">;

export interface OrtStepperInit {
  /** `embed_tokens`: input_ids int64 [rows, 1] -> inputs_embeds. */
  readonly embedTokens: StepperSession;
  readonly decoder: StepperSession;
  /** `encoder_model` output [requests, S, d]; row r belongs to request r. */
  readonly encoderHiddenStates: Tensor;
  /** int64 [requests, S]: 1 for real positions, 0 for padding. */
  readonly encoderAttentionMask: Tensor;
  /** Cache layout; the engine passes the validated DecoderContract (with head counts). Default: read from the decoder's metadata. */
  readonly layout?: DecoderCacheLayout;
}

type Feeds = Record<string, Tensor>;

export class OrtDecoderStepper implements DecoderStepper {
  readonly #init: OrtStepperInit;
  readonly #layout: DecoderCacheLayout;
  /** Declared float types of the decoder's inputs: sessions of mixed precision (fp16 embeddings, fp32 decoder) are cast. */
  readonly #inputTypes: {
    readonly inputs_embeds: "float32" | "float16";
    readonly encoder_hidden_states: "float32" | "float16";
  };
  #step = 0;
  /** Self-attention cache of the last step's rows, by past input name. */
  #selfKv = new Map<string, Tensor>();
  /** Step-0 cross-attention K/V, by past input name, with the step-0 row of each request. */
  #crossKv = new Map<string, Tensor>();
  #crossRowOf = new Map<number, number>();
  /** Feeds that depend only on rows' requests, for the current mapping. */
  #requestFeeds: { readonly key: string; readonly feeds: Feeds } | undefined;
  /** Output names fetched on every step after the first. */
  readonly #laterFetches: readonly string[];

  constructor(init: OrtStepperInit) {
    this.#init = init;
    this.#layout =
      init.layout ??
      readDecoderLayout({ inputMetadata: init.decoder.inputMetadata, outputNames: init.decoder.outputNames });
    const floatTypeOf = (name: string): "float32" | "float16" => {
      const m = init.decoder.inputMetadata.find((v) => v.name === name);
      return m?.isTensor === true && m.type === "float16" ? "float16" : "float32";
    };
    this.#inputTypes = {
      inputs_embeds: floatTypeOf("inputs_embeds"),
      encoder_hidden_states: floatTypeOf("encoder_hidden_states"),
    };
    this.#laterFetches = laterStepFetches(this.#layout, init.decoder.outputNames);
  }

  async step(input: DecoderStepInput): Promise<StepLogits> {
    const rows = input.tokens.length;
    const first = this.#step === 0;
    if (first !== (input.rowSources === undefined)) {
      throw new FlorenceError(
        "internal",
        `decoder step ${this.#step}: rowSources must be given on every step but the first`,
      );
    }
    const feeds: Feeds = {
      inputs_embeds: await this.#embed(input.tokens),
      ...this.#feedsForRequests(input.rowRequests),
      ...(first ? this.#emptyPast(rows) : this.#selfPast(input.rowSources!, rows)),
    };
    if (this.#layout.useCacheBranch !== undefined)
      feeds[this.#layout.useCacheBranch.name] = new Tensor("bool", [!first], [1]);
    const out = await this.#run(
      this.#init.decoder,
      feeds,
      "decoder_model_merged",
      rows,
      first ? undefined : this.#laterFetches,
    );
    this.#keepCache(out, input.rowRequests, first);
    this.#step++;
    return lastPositionLogits(out.logits);
  }

  async #embed(tokens: readonly number[]): Promise<Tensor> {
    const ids = new Tensor(
      "int64",
      BigInt64Array.from(tokens, (t) => BigInt(t)),
      [tokens.length, 1],
    );
    const out = await this.#run(this.#init.embedTokens, { input_ids: ids }, "embed_tokens", tokens.length);
    const embeds = out.inputs_embeds ?? out[this.#init.embedTokens.outputNames[0]!];
    if (embeds === undefined) throw new FlorenceError("internal", "embed_tokens returned no inputs_embeds");
    return castFloat(embeds, this.#inputTypes.inputs_embeds);
  }

  /** encoder_hidden_states, encoder_attention_mask and (after step 0) cross K/V for these rows. */
  #feedsForRequests(rowRequests: readonly number[]): Feeds {
    const key = rowRequests.join(",");
    if (this.#requestFeeds?.key === key) return this.#requestFeeds.feeds;
    const feeds: Feeds = {
      encoder_hidden_states: castFloat(
        gatherRows(this.#init.encoderHiddenStates, rowRequests),
        this.#inputTypes.encoder_hidden_states,
      ),
      encoder_attention_mask: gatherRows(this.#init.encoderAttentionMask, rowRequests),
    };
    if (this.#step > 0) {
      const crossRows = rowRequests.map((r) => {
        const row = this.#crossRowOf.get(r);
        if (row === undefined)
          throw new FlorenceError("internal", `request ${r} joined the batch after the first decoder step`);
        return row;
      });
      for (const [name, t] of this.#crossKv) feeds[name] = gatherRows(t, crossRows);
    }
    this.#requestFeeds = { key, feeds };
    return feeds;
  }

  #emptyPast(rows: number): Feeds {
    const feeds: Feeds = {};
    for (const e of this.#layout.kv) {
      const dims = emptyPastDims(e, rows, this.#layout);
      const size = dims.reduce((a, b) => a * b, 1);
      feeds[e.past] =
        e.type === "float16"
          ? new Tensor("float16", new Uint16Array(size), dims)
          : new Tensor("float32", new Float32Array(size), dims);
    }
    return feeds;
  }

  #selfPast(rowSources: readonly number[], rows: number): Feeds {
    const feeds: Feeds = {};
    const prevRows = this.#selfKv.values().next().value?.dims[0] ?? rows;
    const moved = !isIdentity(rowSources, prevRows);
    for (const [name, t] of this.#selfKv) feeds[name] = moved ? gatherRows(t, rowSources) : t;
    return feeds;
  }

  /** present.*.decoder.* becomes next step's past; present.*.encoder.* is kept from step 0 only. */
  #keepCache(out: InferenceSession.ReturnType, rowRequests: readonly number[], first: boolean): void {
    const selfKv = new Map<string, Tensor>();
    for (const e of this.#layout.kv) {
      if (e.attention === "encoder" && !first) continue; // not fetched after step 0
      const present = out[e.present];
      if (present === undefined) throw new FlorenceError("internal", `decoder_model_merged returned no ${e.present}`);
      if (e.attention === "decoder") selfKv.set(e.past, present);
      else this.#crossKv.set(e.past, present);
    }
    this.#selfKv = selfKv;
    if (first) {
      rowRequests.forEach((r, row) => {
        if (!this.#crossRowOf.has(r)) this.#crossRowOf.set(r, row);
      });
      this.#requestFeeds = undefined; // the cross K/V feeds now exist
    }
  }

  async #run(
    session: StepperSession,
    feeds: Feeds,
    name: string,
    rows: number,
    fetches?: readonly string[],
  ): Promise<InferenceSession.ReturnType> {
    try {
      return await (fetches === undefined ? session.run(feeds) : session.run(feeds, [...fetches]));
    } catch (e) {
      const detail = (e instanceof Error ? e.message : String(e)).split("\n")[0]?.slice(0, 300);
      throw new FlorenceError("internal", `${name} failed at decoder step ${this.#step} with ${rows} rows: ${detail}`, {
        cause: e,
      });
    }
  }
}

/**
 * What a step after the first needs from the decoder: `logits` and every self-attention present
 * (the next past). The cross-attention present.* of those steps are placeholders (onnx-contract.md
 * 5.1), so they are not fetched; `logits` is taken from the session's outputs when it has it.
 */
export function laterStepFetches(layout: DecoderCacheLayout, outputNames: readonly string[]): string[] {
  const self = layout.kv.filter((e) => e.attention === "decoder").map((e) => e.present);
  return [...(outputNames.includes("logits") ? ["logits"] : []), ...self];
}

/** logits [rows, seq, vocab] (float32 or float16) -> float32 [rows, vocab] of the last position. */
export function lastPositionLogits(logits: Tensor | undefined): StepLogits {
  if (logits === undefined || logits.dims.length !== 3)
    throw new FlorenceError("internal", "decoder_model_merged returned no [rows, seq, vocab] logits");
  const [rows, seq, vocabSize] = logits.dims as [number, number, number];
  const all =
    logits.type === "float16" ? float16ToFloat32(logits.data as ArrayLike<number>) : (logits.data as Float32Array);
  // The logits tensor is not kept, so its buffer can be handed to the caller as is.
  if (seq === 1) return { data: all, vocabSize };
  const data = new Float32Array(rows * vocabSize);
  for (let r = 0; r < rows; r++)
    data.set(all.subarray((r * seq + seq - 1) * vocabSize, (r * seq + seq) * vocabSize), r * vocabSize);
  return { data, vocabSize };
}

/** The ORT-backed stepper for one batch of requests; create one per generate() call. */
export function createOrtDecoderStepper(init: OrtStepperInit): OrtDecoderStepper {
  return new OrtDecoderStepper(init);
}
