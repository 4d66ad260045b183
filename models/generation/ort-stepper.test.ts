import { Tensor } from "onnxruntime-node";
import { describe, expect, expectTypeOf, it } from "vitest";
import { TOY_VOCAB, toyDecoder, toyEmbedTokens, toyLogits } from "../../test/support/generation/fake-ort-sessions.js";
import { FakeStepper } from "../../test/support/generation/fake-stepper.js";
import type { DecoderContract } from "../loading/contract.js";
import { generate } from "./batch-decoder.js";
import { type DecoderCacheLayout, emptyPastDims, readDecoderLayout } from "./decoder-layout.js";
import type { DecodingOptions } from "./decoding-options.js";
import { floatToHalfBits } from "./float16.js";
import { createOrtDecoderStepper, lastPositionLogits } from "./ort-stepper.js";

// Two requests with different encoder states; request 1 has a padded (masked) last position.
const S = 3;
const hidden = Float32Array.of(0.5, 1, 2, -1, 0.25, 0.75, 1.5, -2, 3, 1, 100, 100);
const mask = BigInt64Array.of(1n, 1n, 1n, 1n, 1n, 0n);
const crossSums = [0, 1].map((r) => {
  let sum = 0;
  for (let i = r * S * 2; i < (r + 1) * S * 2; i++) sum += hidden[i]! * Number(mask[Math.floor(i / 2)]!);
  return sum;
});

function ortStepper(decoder = toyDecoder()) {
  return createOrtDecoderStepper({
    embedTokens: toyEmbedTokens(),
    decoder,
    encoderHiddenStates: new Tensor("float32", hidden, [2, S, 2]),
    encoderAttentionMask: new Tensor("int64", mask, [2, S]),
  });
}

const reference = () => new FakeStepper(TOY_VOCAB, (request, prefix) => toyLogits(prefix, crossSums[request]!));

describe("OrtDecoderStepper on a toy merged decoder", () => {
  const cases: [string, Partial<DecodingOptions>[]][] = [
    ["greedy x2", [{ numBeams: 1 }, { numBeams: 1, maxNewTokens: 6 }]],
    ["beams x2", [{ numBeams: 3 }, { numBeams: 2, earlyStopping: false }]],
    ["greedy + beams", [{ numBeams: 4, lengthPenalty: 2 }, { numBeams: 1 }]],
  ];

  it.each(cases)("%s: cached decoding equals recomputing each prefix from scratch", async (_name, options) => {
    const requests = options.map((o) => ({ options: { maxNewTokens: 12, ...o } }));
    const viaOrt = await generate(ortStepper(), requests);
    const direct = await generate(reference(), requests);
    expect(viaOrt).toEqual(direct);
    // Both requests took real steps (the cases are not trivially one token long).
    expect(viaOrt.every((r) => r.tokens.length > 3)).toBe(true);
  });

  it("feeds empty past with use_cache_branch=false first, then the step-0 cross K/V, never the placeholders", async () => {
    const decoder = toyDecoder();
    await generate(ortStepper(decoder), [{ options: { numBeams: 3, maxNewTokens: 6 } }]);
    const [first, second, third] = decoder.calls;
    expect(Array.from(first!.use_cache_branch!.data as Uint8Array)).toEqual([0]);
    expect(first!["past_key_values.0.decoder.key"]!.dims).toEqual([1, 1, 0, 2]);
    expect(first!["past_key_values.0.encoder.key"]!.dims).toEqual([1, 1, 0, 2]);
    expect(Array.from(second!.use_cache_branch!.data as Uint8Array)).toEqual([1]);
    expect(second!["past_key_values.0.encoder.key"]!.dims).toEqual([1, 1, S, 2]);
    expect(second!["past_key_values.0.decoder.key"]!.dims).toEqual([1, 1, 1, 2]);
    // Third step: the 3 beams diverge; each gets the cross K/V of its request and a 2-token past.
    expect(third!["past_key_values.0.encoder.key"]!.dims).toEqual([3, 1, S, 2]);
    expect(third!["past_key_values.0.decoder.key"]!.dims).toEqual([3, 1, 2, 2]);
    expect(third!.encoder_attention_mask!.dims).toEqual([3, S]);
  });

  it("fetches only logits and the self-attention present.* after the first step, with the same tokens", async () => {
    const inner = toyDecoder();
    const fetched: (readonly string[] | undefined)[] = [];
    // Answers only what was asked for, as onnxruntime does when run() gets output names.
    const decoder = {
      ...inner,
      run: async (feeds: Parameters<typeof inner.run>[0], fetches?: readonly string[]) => {
        fetched.push(fetches);
        const all = await inner.run(feeds);
        if (fetches === undefined) return all;
        return Object.fromEntries(fetches.map((name) => [name, all[name]!]));
      },
    } as typeof inner;
    const requests = [{ options: { numBeams: 3, maxNewTokens: 8 } }, { options: { numBeams: 1, maxNewTokens: 8 } }];
    const results = await generate(ortStepper(decoder), requests);
    expect(results).toEqual(await generate(reference(), requests));
    expect(fetched[0]).toBeUndefined(); // step 0: everything, the cross K/V included
    expect(fetched.length).toBeGreaterThan(3);
    for (const names of fetched.slice(1)) {
      expect(names).toEqual(["logits", "present.0.decoder.key", "present.0.decoder.value"]);
    }
  });

  it("rejects a missing rowSources after the first step", async () => {
    const stepper = ortStepper();
    await stepper.step({ tokens: [2], rowSources: undefined, rowRequests: [0] });
    await expect(stepper.step({ tokens: [0], rowSources: undefined, rowRequests: [0] })).rejects.toMatchObject({
      kind: "internal",
    });
  });

  it("wraps session failures as internal FlorenceErrors naming the session and step", async () => {
    const decoder = { ...toyDecoder(), run: async () => Promise.reject(new Error("bad shape")) };
    await expect(
      ortStepper(decoder).step({ tokens: [2], rowSources: undefined, rowRequests: [0] }),
    ).rejects.toMatchObject({
      kind: "internal",
      message: expect.stringContaining("decoder_model_merged failed at decoder step 0 with 1 rows: bad shape"),
    });
  });
});

describe("decoder layout", () => {
  it("accepts models/loading's DecoderContract as is", () => {
    expectTypeOf<DecoderContract>().toExtend<DecoderCacheLayout>();
  });

  it("reads cache names, kinds and dims from the metadata", () => {
    const layout = readDecoderLayout(toyDecoder());
    expect(layout.useCacheBranch).toEqual({ name: "use_cache_branch" });
    expect(layout.kv.map((e) => [e.past, e.present, e.attention])).toEqual([
      ["past_key_values.0.decoder.key", "present.0.decoder.key", "decoder"],
      ["past_key_values.0.decoder.value", "present.0.decoder.value", "decoder"],
      ["past_key_values.0.encoder.key", "present.0.encoder.key", "encoder"],
      ["past_key_values.0.encoder.value", "present.0.encoder.value", "encoder"],
    ]);
  });

  it("fails with model_load when a present output is missing", () => {
    const d = toyDecoder();
    expect(() => readDecoderLayout({ inputMetadata: d.inputMetadata, outputNames: ["logits"] })).toThrow(
      /present\.0\.decoder\.key is missing/,
    );
  });

  it.each([
    { dims: ["batch_size", 12, "past_decoder_sequence_length", 64], heads: undefined, out: [5, 12, 0, 64] },
    { dims: ["batch_size", "h", "past", "d"], heads: 4, out: [5, 4, 0, 16] },
    { dims: [], heads: undefined, out: [5, 0, 0, 0] },
  ])("empty past dims for $dims", ({ dims, heads, out }) => {
    const entry = { past: "p", present: "q", attention: "decoder" as const, type: "float32" as const, dims };
    const layout =
      heads === undefined
        ? { kv: [entry], useCacheBranch: undefined }
        : { kv: [entry], useCacheBranch: undefined, heads, headDim: 16 };
    expect(emptyPastDims(entry, 5, layout)).toEqual(out);
  });
});

describe("lastPositionLogits", () => {
  it("takes the last position of each row and converts float16", () => {
    const f32 = new Tensor(
      "float32",
      Float32Array.from({ length: 12 }, (_, i) => i),
      [2, 2, 3],
    );
    expect(Array.from(lastPositionLogits(f32).data)).toEqual([3, 4, 5, 9, 10, 11]);
    const f16 = new Tensor("float16", Uint16Array.from([1, -2, 0.5], floatToHalfBits), [1, 1, 3]);
    expect(lastPositionLogits(f16)).toEqual({ data: Float32Array.of(1, -2, 0.5), vocabSize: 3 });
  });
});
