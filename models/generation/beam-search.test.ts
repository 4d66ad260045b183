import { describe, expect, it } from "vitest";
import { tableStepper } from "../../test/support/generation/table-stepper.js";
import { generate } from "./batch-decoder.js";
import type { TokenEvent } from "./types.js";

const noProcessors = { noRepeatNgramSize: 0, forcedBosTokenId: undefined, forcedEosTokenId: undefined } as const;

// vocab: 0, 1, 2 = EOS, 3. Hand-computed: beams keep [2 1] (0.5) and [2 3] (0.4); next step [2 3 2]
// finishes with 0.36 (score ln(0.36)/2), while greedy's path [2 1 3 2] only reaches 0.185 * 0.9.
const table = {
  "2": [0.06, 0.5, 0.04, 0.4],
  "2 1": [0.3, 0.05, 0.28, 0.37],
  "2 3": [0.04, 0.04, 0.9, 0.02],
  "2 1 3": [0.03, 0.03, 0.9, 0.04],
  "2 1 0": [0.04, 0.03, 0.9, 0.03],
};

describe("beam search on a hand-computed table", () => {
  it("finds the better hypothesis greedy misses, with HF's score convention", async () => {
    const options = { ...noProcessors, numBeams: 2, maxNewTokens: 10 };
    const [beam] = await generate(tableStepper(table), [{}], options);
    const [greedy] = await generate(tableStepper(table), [{}], { ...options, numBeams: 1 });
    expect(greedy!.tokens).toEqual([2, 1, 3, 2]);
    expect(beam!.tokens).toEqual([2, 3, 2]);
    expect(beam!.stopReason).toBe("eos");
    // score = sum of log-probs / generated length (2 tokens after the start token) ** 1.0
    expect(beam!.sequenceScore).toBeCloseTo(Math.log(0.36) / 2, 6);
    expect(beam!.logprobs[0]).toBeCloseTo(Math.log(0.4), 6);
    expect(beam!.logprobs[1]).toBeCloseTo(Math.log(0.9), 6);
  });

  it("a large length penalty prefers the longer finished hypothesis", async () => {
    // ln(0.36)/2^3 = -0.1277 vs ln(0.1665)/3^3 = -0.0664: the 3-token hypothesis wins.
    const [r] = await generate(tableStepper(table), [{}], {
      ...noProcessors,
      numBeams: 2,
      maxNewTokens: 10,
      lengthPenalty: 3,
    });
    expect(r!.tokens).toEqual([2, 1, 3, 2]);
    expect(r!.sequenceScore).toBeCloseTo(Math.log(0.5 * 0.37 * 0.9) / 27, 6);
  });

  it("returns a hypothesis cut at max length when nothing ends earlier", async () => {
    const [r] = await generate(tableStepper(table), [{}], { ...noProcessors, numBeams: 2, maxNewTokens: 1 });
    // Both top-K candidates hit max length; [2 1] is the best.
    expect(r!.tokens).toEqual([2, 1]);
    expect(r!.stopReason).toBe("max_new_tokens");
    expect(r!.sequenceScore).toBeCloseTo(Math.log(0.5), 6);
  });
});

describe("beam search streaming", () => {
  it("reports a token as soon as every beam shares it, before the search ends", async () => {
    // Step 1 keeps [2 1] and [2 0]; step 2 keeps [2 1 3] and [2 1 0], so "1" is final; step 3 ends both.
    const converging = {
      "2": [0.05, 0.9, 0.02, 0.03],
      "2 1": [0.45, 0.01, 0.04, 0.5],
      "2 0": [0.25, 0.25, 0.25, 0.25],
      "2 1 3": [0.01, 0.01, 0.97, 0.01],
      "2 1 0": [0.01, 0.01, 0.97, 0.01],
    };
    const stepper = tableStepper(converging);
    const events: (TokenEvent & { step: number })[] = [];
    const [r] = await generate(stepper, [{ onToken: (e) => events.push({ ...e, step: stepper.calls.length }) }], {
      ...noProcessors,
      numBeams: 2,
      maxNewTokens: 10,
    });
    expect(r!.tokens).toEqual([2, 1, 3, 2]);
    expect(events.map((e) => [e.id, e.position, e.step])).toEqual([
      [1, 1, 2],
      [3, 2, 3],
      [2, 3, 3],
    ]);
  });
});
