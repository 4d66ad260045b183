/**
 * The encoder side of Florence-2 as tensor operations: vision features for each distinct image,
 * prompt embeddings, and the encoder pass over [image features, prompt embeddings] for every item
 * of a batch (docs/onnx-contract.md#8-data-flow-between-the-sessions). Items may share an image
 * (several tasks on one image): the vision encoder still runs once per distinct image.
 */
import { type InferenceSession, Tensor } from "onnxruntime-node";
import { FlorenceError } from "../errors.js";
import { castFloat } from "../generation/index.js";
import type { ModelContract } from "../loading/index.js";
import type { ImageFeatures } from "./vision-cache.js";

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
  /** `last_hidden_state` [items, 577 + maxPromptLength, d], float32 (the decoder stepper casts it to what its graph takes). */
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
export async function encodeImages(
  s: EncoderSessions,
  pixelValues: Float32Array,
  dims: readonly number[],
): Promise<ImageFeatures> {
  const { vision } = s.contract;
  const input = castFloat(new Tensor("float32", pixelValues, dims), vision.pixelValues.type);
  const features = await runOne(s.vision, { [vision.pixelValues.name]: input }, "vision_encoder");
  const [, tokens, dModel] = features.dims;
  if (tokens === undefined || dModel === undefined)
    throw new FlorenceError("internal", `vision_encoder returned dims [${features.dims.join(", ")}]`);
  return { data: asFloat32(features), tokens, dModel };
}

/**
 * Embeds the prompts, prepends each item's image features, and runs the encoder in passes of at
 * most `rowsPerPass` items, each pass right-padded (with `padId`) to its own longest prompt. The
 * result is padded to the batch's longest prompt; padding is masked out (and zero), so an item's
 * hidden states do not depend on its batch or its pass.
 */
export async function encodeBatch(
  s: EncoderSessions,
  image: ImageFeatures,
  items: readonly EncoderItem[],
  padId: number,
  rowsPerPass: number = items.length,
): Promise<Omit<EncodedBatch, "visionMs">> {
  const rows = items.length;
  const { tokens, dModel } = image;
  const seq = tokens + Math.max(...items.map((i) => i.inputIds.length));
  const hidden = new Float32Array(rows * seq * dModel);
  const mask = new BigInt64Array(rows * seq);
  let encoderMs = 0;
  for (let start = 0; start < rows; start += Math.max(1, rowsPerPass)) {
    const pass = items.slice(start, start + Math.max(1, rowsPerPass));
    const out = await encodePass(s, image, pass, padId);
    encoderMs += out.encoderMs;
    // Copy each row of the pass into the batch, at the batch's (longer or equal) row length.
    pass.forEach((item, r) => {
      const row = start + r;
      hidden.set(
        out.hidden.subarray(r * out.seq * dModel, (r * out.seq + tokens + item.inputIds.length) * dModel),
        row * seq * dModel,
      );
      mask.fill(1n, row * seq, row * seq + tokens + item.inputIds.length);
    });
  }
  return {
    hiddenStates: new Tensor("float32", hidden, [rows, seq, dModel]),
    attentionMask: new Tensor("int64", mask, [rows, seq]),
    encoderMs,
  };
}

/** One encoder pass over `items`, padded to their longest prompt: float32 hidden states [items, seq, d]. */
async function encodePass(
  s: EncoderSessions,
  image: ImageFeatures,
  items: readonly EncoderItem[],
  padId: number,
): Promise<{ hidden: Float32Array; seq: number; encoderMs: number }> {
  const { embed, encoder } = s.contract;
  const rows = items.length;
  const promptLength = Math.max(...items.map((i) => i.inputIds.length));
  const ids = new BigInt64Array(rows * promptLength).fill(BigInt(padId));
  items.forEach((item, r) => {
    item.inputIds.forEach((id, t) => {
      ids[r * promptLength + t] = BigInt(id);
    });
  });
  const textEmbeds = asFloat32(
    await runOne(s.embed, { [embed.inputIds.name]: new Tensor("int64", ids, [rows, promptLength]) }, "embed_tokens"),
  );

  const { tokens, dModel } = image;
  const seq = tokens + promptLength;
  const inputs = new Float32Array(rows * seq * dModel);
  const mask = new BigInt64Array(rows * seq);
  items.forEach((item, r) => {
    const imageOffset = item.imageIndex * tokens * dModel;
    inputs.set(image.data.subarray(imageOffset, imageOffset + tokens * dModel), r * seq * dModel);
    inputs.set(
      textEmbeds.subarray(r * promptLength * dModel, (r + 1) * promptLength * dModel),
      (r * seq + tokens) * dModel,
    );
    mask.fill(1n, r * seq, r * seq + tokens + item.inputIds.length);
  });
  const started = performance.now();
  const hiddenStates = await runOne(
    s.encoder,
    {
      [encoder.inputsEmbeds.name]: castFloat(
        new Tensor("float32", inputs, [rows, seq, dModel]),
        encoder.inputsEmbeds.type,
      ),
      [encoder.attentionMask.name]: new Tensor("int64", mask, [rows, seq]),
    },
    "encoder_model",
  );
  return { hidden: asFloat32(hiddenStates), seq, encoderMs: performance.now() - started };
}
