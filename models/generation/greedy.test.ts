import { describe, expect, it } from "vitest";
import { tableStepper } from "../../test/support/generation/table-stepper.js";
import { generate } from "./batch-decoder.js";
import { argmax } from "./greedy.js";

const noProcessors = { noRepeatNgramSize: 0, forcedBosTokenId: undefined, forcedEosTokenId: undefined } as const;

describe("argmax", () => {
  it.each([
    { row: [0, 3, 1], out: 1 },
    { row: [5, 5, 1], out: 0 },
    { row: [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY], out: 0 },
    { row: [Number.NaN, 1], out: 1 },
  ])("argmax($row) = $out", ({ row, out }) => {
    expect(argmax(Float32Array.from(row))).toBe(out);
  });
});

describe("greedy search", () => {
  // vocab: 0 = <s>, 1 = <pad>, 2 = </s>, 3, 4
  const table = {
    "2": [0.1, 0.1, 0.1, 0.6, 0.1],
    "2 0": [0.05, 0.05, 0.1, 0.2, 0.6],
    "2 3": [0.1, 0.1, 0.1, 0.1, 0.6],
    "2 3 4": [0.1, 0.1, 0.7, 0.05, 0.05],
    "2 0 4": [0.1, 0.1, 0.2, 0.3, 0.3],
    "2 0 4 3": [0.1, 0.1, 0.1, 0.1, 0.6],
  };

  it("takes the argmax each step and stops at EOS, with log-probs of the raw distribution", async () => {
    const [r] = await generate(tableStepper(table), [{}], { ...noProcessors, numBeams: 1, maxNewTokens: 10 });
    expect(r!.tokens).toEqual([2, 3, 4, 2]);
    expect(r!.stopReason).toBe("eos");
    expect(r!.sequenceScore).toBeUndefined();
    [0.6, 0.6, 0.7].forEach((p, i) => {
      expect(r!.logprobs[i]).toBeCloseTo(Math.log(p), 6);
    });
  });

  it("forces BOS first (log-prob 0) and EOS at max length, which is a truncation", async () => {
    const [r] = await generate(tableStepper(table), [{}], { numBeams: 1, maxNewTokens: 3 });
    expect(r!.tokens).toEqual([2, 0, 4, 2]);
    expect(r!.logprobs[0]).toBe(0);
    expect(r!.logprobs[1]).toBeCloseTo(Math.log(0.6), 6);
    expect(r!.logprobs[2]).toBe(0);
    expect(r!.stopReason).toBe("max_new_tokens");
  });

  it("stops at max length without an EOS when forced EOS is off", async () => {
    const [r] = await generate(tableStepper(table), [{}], {
      ...noProcessors,
      forcedBosTokenId: 0,
      numBeams: 1,
      maxNewTokens: 3,
    });
    expect(r!.tokens).toEqual([2, 0, 4, 3]);
    expect(r!.stopReason).toBe("max_new_tokens");
  });

  it("applies the no-repeat-ngram ban before the argmax", async () => {
    // After [2 0 4 3] the argmax is 4; n = 1 bans every token already in the sequence.
    const [r1] = await generate(tableStepper(table), [{}], {
      ...noProcessors,
      forcedBosTokenId: 0,
      numBeams: 1,
      maxNewTokens: 4,
    });
    expect(r1!.tokens).toEqual([2, 0, 4, 3, 4]);
    const [r2] = await generate(tableStepper({ ...table, "2 0 4 3": [0.1, 0.2, 0.05, 0.05, 0.6] }), [{}], {
      ...noProcessors,
      forcedBosTokenId: 0,
      noRepeatNgramSize: 1,
      numBeams: 1,
      maxNewTokens: 4,
    });
    // 0, 2(start), 3, 4 are banned; pad (1) is left.
    expect(r2!.tokens).toEqual([2, 0, 4, 3, 1]);
    expect(r2!.logprobs[3]).toBeCloseTo(Math.log(0.2), 6);
  });
});
