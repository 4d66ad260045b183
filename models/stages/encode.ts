/**
 * The encoder side of Florence-2 as tensor operations: vision features for each distinct image,
 * prompt embeddings, and the encoder pass over [image features, prompt embeddings] for every item
 * of a batch (spec §5.3 step 2). Items may share an image (several tasks on one image): the vision
 * encoder still runs once per distinct image.
 */
import { type InferenceSession, Tensor } from "onnxruntime-node";
import { FlorenceError } from "../errors.js";
import { castFloat } from "../generation/index.js";
import type { ModelContract } from "../loading/index.js";

type Session = Pick<InferenceSession, "run" | "outputNames">;

export interface EncoderSessions {
  readonly vision: Session;
  readonly embed: Session;
  readonly encoder: Session;
  readonly contract: ModelContract;
}

/** One row of the encoder batch. */
export interface EncoderItem {
  /** Index into the distinct images given to {@link encodeBatch}. */
  readonly imageIndex: number;
  /** Prompt ids, `<s> … </s>`. */
  readonly inputIds: readonly number[];
}

export interface EncodedBatch {
  /** `last_hidden_state` [items, 577 + maxPromptLength, d]. */
  readonly hiddenStates: Tensor;
  /** int64 [items, 577 + maxPromptLength]: ones for image tokens and real prompt tokens, 0 for padding. */
  readonly attentionMask: Tensor;
  readonly visionMs: number;
  readonly encoderMs: number;
}

async function runOne(session: Session, feeds: Record<string, Tensor>, what: string): Promise<Tensor> {
  let out: Record<string, Tensor>;
  try {
    out = await session.run(feeds);
  } catch (e) {
    throw new FlorenceError("internal", `onnxruntime failed while running ${what}`, { cause: e });
  }
  const first = session.outputNames[0];
  const t = first === undefined ? undefined : out[first];
  if (t === undefined) throw new FlorenceError("internal", `${what} returned no output`);
  return t;
}

function asFloat32(t: Tensor): Float32Array {
  return castFloat(t, "float32").data as Float32Array;
}

/** Vision features [images, tokens, d] as float32, from CHW pixel values [images, 3, H, W]. */
export async function encodeImages(s: EncoderSessions, pixelValues: Float32Array, dims: readonly number[]): Promise<{ data: Float32Array; tokens: number; dModel: number }> {
  const { vision } = s.contract;
  const input = castFloat(new Tensor("float32", pixelValues, dims), vision.pixelValues.type);
  const features = await runOne(s.vision, { [vision.pixelValues.name]: input }, "vision_encoder");
  const [, tokens, dModel] = features.dims;
  if (tokens === undefined || dModel === undefined) throw new FlorenceError("internal", `vision_encoder returned dims [${features.dims.join(", ")}]`);
  return { data: asFloat32(features), tokens, dModel };
}

/**
 * Embeds the prompts (right-padded with `padId`), prepends each item's image features, and runs
 * the encoder. The padding is masked out, so an item's hidden states do not depend on its batch.
 */
export async function encodeBatch(
  s: EncoderSessions,
  image: { readonly data: Float32Array; readonly tokens: number; readonly dModel: number },
  items: readonly EncoderItem[],
  padId: number,
): Promise<Omit<EncodedBatch, "visionMs">> {
  const { embed, encoder } = s.contract;
  const rows = items.length;
  const promptLength = Math.max(...items.map((i) => i.inputIds.length));
  const ids = new BigInt64Array(rows * promptLength).fill(BigInt(padId));
  items.forEach((item, r) => {
    item.inputIds.forEach((id, t) => {
      ids[r * promptLength + t] = BigInt(id);
    });
  });
  const textEmbeds = asFloat32(await runOne(s.embed, { [embed.inputIds.name]: new Tensor("int64", ids, [rows, promptLength]) }, "embed_tokens"));

  const { tokens, dModel } = image;
  const seq = tokens + promptLength;
  const inputs = new Float32Array(rows * seq * dModel);
  const mask = new BigInt64Array(rows * seq);
  items.forEach((item, r) => {
    const imageOffset = item.imageIndex * tokens * dModel;
    inputs.set(image.data.subarray(imageOffset, imageOffset + tokens * dModel), r * seq * dModel);
    inputs.set(textEmbeds.subarray(r * promptLength * dModel, (r + 1) * promptLength * dModel), (r * seq + tokens) * dModel);
    mask.fill(1n, r * seq, r * seq + tokens + item.inputIds.length);
  });
  const attentionMask = new Tensor("int64", mask, [rows, seq]);
  const started = performance.now();
  const hiddenStates = await runOne(
    s.encoder,
    {
      [encoder.inputsEmbeds.name]: castFloat(new Tensor("float32", inputs, [rows, seq, dModel]), encoder.inputsEmbeds.type),
      [encoder.attentionMask.name]: attentionMask,
    },
    "encoder_model",
  );
  return { hiddenStates, attentionMask, encoderMs: performance.now() - started };
}
