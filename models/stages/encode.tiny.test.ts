/**
 * encodeBatch on the tiny fixture: splitting a batch into encoder passes of fewer rows changes
 * nothing an item sees (its hidden states at real positions, and the mask), whatever the padding.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pixelValues, TINY_DIR } from "../../test/support/tiny-model.js";
import { type FlorenceSessions, loadSessions } from "../loading/index.js";
import { type EncoderItem, type EncoderSessions, encodeBatch, encodeImages } from "./encode.js";

let loaded: FlorenceSessions;
let s: EncoderSessions;
let features: Awaited<ReturnType<typeof encodeImages>>;
const PAD = 1;
/** Prompts of three lengths over two images; the longest is not first, so every pass pads differently. */
const ITEMS: readonly EncoderItem[] = [
  { imageIndex: 0, inputIds: [0, 100, 101, 2] },
  { imageIndex: 1, inputIds: [0, 102, 103, 104, 105, 106, 107, 2] },
  { imageIndex: 0, inputIds: [0, 108, 2] },
];

beforeAll(async () => {
  loaded = await loadSessions(TINY_DIR, { intraOpNumThreads: 1 });
  s = {
    vision: loaded.sessions.vision_encoder,
    embed: loaded.sessions.embed_tokens,
    encoder: loaded.sessions.encoder_model,
    contract: loaded.contract,
  };
  const [a, b] = await Promise.all([pixelValues("coffee"), pixelValues("astronaut_tall")]);
  const both = new Float32Array(a.size + b.size);
  both.set(a.data as Float32Array, 0);
  both.set(b.data as Float32Array, a.size);
  features = await encodeImages(s, both, [2, 3, 768, 768]);
});
afterAll(async () => {
  await loaded?.release();
});

describe("encodeBatch in passes", () => {
  it.each([1, 2, 3, 8])("rowsPerPass %i gives the hidden states of one pass over all rows", async (rowsPerPass) => {
    const whole = await encodeBatch(s, features, ITEMS, PAD);
    const split = await encodeBatch(s, features, ITEMS, PAD, rowsPerPass);
    expect(split.hiddenStates.dims).toEqual(whole.hiddenStates.dims);
    expect(split.attentionMask.data).toEqual(whole.attentionMask.data);
    const [rows, seq, d] = whole.hiddenStates.dims as [number, number, number];
    const mask = whole.attentionMask.data as BigInt64Array;
    const a = whole.hiddenStates.data as Float32Array;
    const b = split.hiddenStates.data as Float32Array;
    let worst = 0;
    let realPositions = 0;
    for (let p = 0; p < rows * seq; p++) {
      if (mask[p] !== 1n) continue;
      realPositions++;
      for (let k = 0; k < d; k++) worst = Math.max(worst, Math.abs(a[p * d + k]! - b[p * d + k]!));
    }
    expect(realPositions).toBe(ITEMS.reduce((n, item) => n + features.tokens + item.inputIds.length, 0));
    expect(worst).toBeLessThan(1e-4);
  });

  it("padding positions are masked and zero when rows were encoded apart", async () => {
    const split = await encodeBatch(s, features, ITEMS, PAD, 1);
    const [, seq, d] = split.hiddenStates.dims as [number, number, number];
    const row = 2; // the shortest prompt: padded by 5 positions
    const length = features.tokens + ITEMS[row]!.inputIds.length;
    const mask = split.attentionMask.data as BigInt64Array;
    expect([...mask.subarray(row * seq, (row + 1) * seq)].filter((m) => m === 1n)).toHaveLength(length);
    const padding = (split.hiddenStates.data as Float32Array).subarray((row * seq + length) * d, (row + 1) * seq * d);
    expect(padding.length).toBe((seq - length) * d);
    expect(padding.every((v) => v === 0)).toBe(true);
  });
});
