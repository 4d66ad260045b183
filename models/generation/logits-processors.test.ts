import { describe, expect, it } from "vitest";
import { applyLogitsProcessors, bannedNgramTokens, type ProcessorOptions } from "./logits-processors.js";

describe("bannedNgramTokens", () => {
  it.each([
    { seq: [2], n: 3, banned: [] },
    { seq: [2, 0], n: 3, banned: [] },
    { seq: [2, 0, 5, 7, 2, 0], n: 3, banned: [5] },
    { seq: [2, 0, 0, 0], n: 3, banned: [0] },
    { seq: [2, 0, 9, 4, 9, 4, 9], n: 3, banned: [4] },
    { seq: [2, 0, 9, 9, 0, 9, 9, 0, 9], n: 3, banned: [9, 9] },
    { seq: [2, 0, 9, 4, 9, 5, 9], n: 3, banned: [] },
    { seq: [5, 5, 5], n: 2, banned: [5, 5] },
    { seq: [7, 8, 7], n: 1, banned: [7, 8, 7] },
    { seq: [2, 0, 0, 0], n: 0, banned: [] },
    { seq: [1, 2, 3, 1, 2], n: 3, banned: [3] },
  ])("$seq with n=$n bans $banned", ({ seq, n, banned }) => {
    expect(bannedNgramTokens(seq, n)).toEqual(banned);
  });
});

describe("applyLogitsProcessors", () => {
  const florence: ProcessorOptions = {
    noRepeatNgramSize: 3,
    forcedBosTokenId: 0,
    forcedEosTokenId: 2,
    maxNewTokens: 5,
    minNewTokens: 0,
    eosTokenId: 2,
  };
  const NEG = Number.NEGATIVE_INFINITY;
  const row = () => Float32Array.of(-1, -2, -3, -4, -5, -6);

  it.each([
    { name: "forced BOS at length 1", seq: [2], options: florence, out: [0, NEG, NEG, NEG, NEG, NEG], forced: true },
    { name: "nothing at length 2", seq: [2, 0], options: florence, out: [-1, -2, -3, -4, -5, -6], forced: false },
    {
      name: "ngram ban",
      seq: [2, 0, 4, 2, 0],
      options: { ...florence, maxNewTokens: 10 },
      out: [-1, -2, -3, -4, NEG, -6],
      forced: false,
    },
    {
      name: "forced EOS at max_length - 1 (length = maxNewTokens)",
      seq: [2, 0, 4, 3, 1],
      options: florence,
      out: [NEG, NEG, 0, NEG, NEG, NEG],
      forced: true,
    },
    {
      name: "EOS wins over BOS when both apply (maxNewTokens = 1), HF order",
      seq: [2],
      options: { ...florence, maxNewTokens: 1 },
      out: [NEG, NEG, 0, NEG, NEG, NEG],
      forced: true,
    },
    {
      name: "forced EOS overrides an ngram ban of EOS",
      seq: [2, 0, 2, 0],
      options: { ...florence, maxNewTokens: 4 },
      out: [NEG, NEG, 0, NEG, NEG, NEG],
      forced: true,
    },
    {
      name: "disabled processors",
      seq: [2],
      options: {
        noRepeatNgramSize: 0,
        forcedBosTokenId: undefined,
        forcedEosTokenId: undefined,
        maxNewTokens: 1,
        minNewTokens: 0,
        eosTokenId: 2,
      },
      out: [-1, -2, -3, -4, -5, -6],
      forced: false,
    },
    {
      name: "min_new_tokens bans EOS while fewer tokens are generated",
      seq: [2, 0, 4],
      options: { ...florence, maxNewTokens: 10, minNewTokens: 3 },
      out: [-1, -2, NEG, -4, -5, -6],
      forced: false,
    },
    {
      name: "min_new_tokens no longer bans EOS once reached",
      seq: [2, 0, 4, 5],
      options: { ...florence, maxNewTokens: 10, minNewTokens: 3 },
      out: [-1, -2, -3, -4, -5, -6],
      forced: false,
    },
    {
      name: "forced EOS at max length wins over min_new_tokens = max_new_tokens",
      seq: [2, 0, 4, 3, 1],
      options: { ...florence, minNewTokens: 5 },
      out: [NEG, NEG, 0, NEG, NEG, NEG],
      forced: true,
    },
  ])("$name", ({ seq, options, out, forced }) => {
    const r = row();
    expect(applyLogitsProcessors(seq, r, options)).toEqual({ forced });
    expect(Array.from(r)).toEqual(out);
  });
});
