/**
 * Test helper: the tiny random-weight Florence-2 fixture (test/fixtures/tiny, made by
 * tools/export/onnx_sessions.py) run far enough to feed the decoder. The engine's own pipeline
 * does this properly elsewhere; this is the minimum the generation tests need: pixel_values from an
 * already-resized reference PNG, vision_encoder, embed_tokens on given input_ids, encoder_model on
 * [image features, text embeds] with an all-ones mask (docs/onnx-contract.md#8-data-flow-between-the-sessions).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { InferenceSession, Tensor } from "onnxruntime-node";
import sharp from "sharp";
import { florenceImageConfig, toPixelValues } from "../../models/image/index.js";

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
export const TINY_DIR = root("test/fixtures/tiny");
export const GOLDENS_DIR = root("test/fixtures/goldens");
export const RESIZED_DIR = root("test/fixtures/images/resized");
export const tinyAvailable = existsSync(`${TINY_DIR}/onnx/decoder_model_merged.onnx`);

export interface TinySessions {
  readonly vision: InferenceSession;
  readonly embed: InferenceSession;
  readonly encoder: InferenceSession;
  readonly decoder: InferenceSession;
  release(): Promise<void>;
}

export async function loadTiny(suffix = ""): Promise<TinySessions> {
  const options: InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 };
  const open = (name: string) => InferenceSession.create(`${TINY_DIR}/onnx/${name}${suffix}.onnx`, options);
  const [vision, embed, encoder, decoder] = await Promise.all(
    ["vision_encoder", "embed_tokens", "encoder_model", "decoder_model_merged"].map(open),
  );
  return {
    vision: vision!,
    embed: embed!,
    encoder: encoder!,
    decoder: decoder!,
    release: async () => {
      await Promise.all([vision, embed, encoder, decoder].map((s) => s!.release()));
    },
  };
}

/** One request's encoder output: [1, S, d] float32 and its length. */
export interface Encoded {
  readonly hidden: Float32Array;
  readonly length: number;
  readonly dModel: number;
}

export async function pixelValues(imageName: string): Promise<Tensor> {
  const { data, info } = await sharp(`${RESIZED_DIR}/${imageName}.png`)
    .removeAlpha()
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== 768 || info.height !== 768) {
    throw new Error(
      `${imageName}.png: expected a 768x768 RGB reference resize, got ${info.width}x${info.height}x${info.channels}`,
    );
  }
  return new Tensor("float32", toPixelValues([new Uint8Array(data)], florenceImageConfig), [1, 3, 768, 768]);
}

export async function encode(s: TinySessions, imageName: string, inputIds: readonly number[]): Promise<Encoded> {
  const { image_features: image } = await s.vision.run({ pixel_values: await pixelValues(imageName) });
  const ids = new Tensor(
    "int64",
    BigInt64Array.from(inputIds, (t) => BigInt(t)),
    [1, inputIds.length],
  );
  const { inputs_embeds: text } = await s.embed.run({ input_ids: ids });
  const d = image!.dims[2]!;
  const length = image!.dims[1]! + inputIds.length;
  const merged = new Float32Array(length * d);
  merged.set(image!.data as Float32Array, 0);
  merged.set(text!.data as Float32Array, image!.size);
  const out = await s.encoder.run({
    inputs_embeds: new Tensor("float32", merged, [1, length, d]),
    attention_mask: new Tensor("int64", new BigInt64Array(length).fill(1n), [1, length]),
  });
  return { hidden: out.last_hidden_state!.data as Float32Array, length, dModel: d };
}

/** Stacks per-request encoder outputs into the stepper's batch, right-padding with mask 0. */
export function stackEncoded(list: readonly Encoded[]): { hiddenStates: Tensor; attentionMask: Tensor } {
  const d = list[0]!.dModel;
  const s = Math.max(...list.map((e) => e.length));
  const hidden = new Float32Array(list.length * s * d);
  const mask = new BigInt64Array(list.length * s);
  list.forEach((e, r) => {
    hidden.set(e.hidden, r * s * d);
    mask.fill(1n, r * s, r * s + e.length);
  });
  return {
    hiddenStates: new Tensor("float32", hidden, [list.length, s, d]),
    attentionMask: new Tensor("int64", mask, [list.length, s]),
  };
}

/** Seeded stand-in encoder output (mulberry32), for tests that do not need a real image. */
export function randomEncoded(seed: number, length: number, dModel: number): Encoded {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { hidden: Float32Array.from({ length: length * dModel }, () => next() * 2 - 1), length, dModel };
}

/** Logits of the last position for a whole prefix, recomputed without any cache (use_cache_branch = false). */
export async function noCacheLogits(
  s: TinySessions,
  encoded: Encoded,
  prefix: readonly number[],
): Promise<Float32Array> {
  const ids = new Tensor(
    "int64",
    BigInt64Array.from(prefix, (t) => BigInt(t)),
    [1, prefix.length],
  );
  const { inputs_embeds: embeds } = await s.embed.run({ input_ids: ids });
  const feeds: Record<string, Tensor> = {
    inputs_embeds: embeds!,
    encoder_hidden_states: new Tensor("float32", encoded.hidden, [1, encoded.length, encoded.dModel]),
    encoder_attention_mask: new Tensor("int64", new BigInt64Array(encoded.length).fill(1n), [1, encoded.length]),
    use_cache_branch: new Tensor("bool", [false], [1]),
  };
  for (const m of s.decoder.inputMetadata) {
    if (!m.name.startsWith("past_key_values.") || !m.isTensor) continue;
    const dims = m.shape.map((d, axis) => (axis === 0 ? 1 : typeof d === "number" ? d : 0));
    feeds[m.name] = new Tensor("float32", new Float32Array(0), dims);
  }
  const { logits } = await s.decoder.run(feeds);
  const v = logits!.dims[2]!;
  return (logits!.data as Float32Array).slice((prefix.length - 1) * v, prefix.length * v);
}
