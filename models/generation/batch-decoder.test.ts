import { describe, expect, it } from "vitest";
import { type FakeModelSpec, FakeStepper } from "../../test/support/generation/fake-stepper.js";
import { isFlorenceError } from "../errors.js";
import { capAtPositions, generate } from "./batch-decoder.js";
import { type DecodingOptions, makeDecodingOptions } from "./decoding-options.js";
import type { DecodeRequest, TokenEvent } from "./types.js";

const spec: FakeModelSpec = { vocab: 40, context: 0, scale: 8, eosBias: 0.25 };
const seeds = [5, 6, 7];

async function solo(seed: number, options: Partial<DecodingOptions>) {
  const [r] = await generate(FakeStepper.hashed(spec, [seed]), [{ options }]);
  return r!;
}

describe("generate: batching", () => {
  const mixed: Partial<DecodingOptions>[] = [
    { numBeams: 3, maxNewTokens: 12 },
    { numBeams: 1, maxNewTokens: 5 },
    { numBeams: 2, maxNewTokens: 20, lengthPenalty: 2, earlyStopping: false },
  ];

  it("gives each request the result it gets alone, whatever the others do", async () => {
    const stepper = FakeStepper.hashed(spec, seeds);
    const together = await generate(
      stepper,
      mixed.map((options) => ({ options })),
    );
    for (const [i, options] of mixed.entries()) expect(together[i]).toEqual(await solo(seeds[i]!, options));
    // A request leaves the batch when it finishes and never comes back: the steps it is in form a prefix.
    for (const request of [0, 1, 2]) {
      const present = stepper.calls.map((c) => c.rowRequests.includes(request));
      const steps = present.filter(Boolean).length;
      expect(present).toEqual(present.map((_, i) => i < steps));
      // Greedy runs one step per token; beam search at least that (its best hypothesis may have ended earlier).
      if (request === 1) expect(steps).toBe(together[1]!.tokens.length - 1);
      else expect(steps).toBeGreaterThanOrEqual(together[request]!.tokens.length - 1);
    }
  });

  it("runs identical beam rows once: one row per request until beams diverge", async () => {
    const stepper = FakeStepper.hashed(spec, [5, 6]);
    await generate(stepper, [{}, {}], { numBeams: 3, maxNewTokens: 8 });
    const [first, second, third] = stepper.calls;
    expect(first).toEqual({ tokens: [2, 2], rowSources: undefined, rowRequests: [0, 1] });
    // After the forced BOS the 3 beams are still the same sequence [2, 0].
    expect(second).toEqual({ tokens: [0, 0], rowSources: [0, 1], rowRequests: [0, 1] });
    expect(third!.tokens).toHaveLength(6);
    expect(third!.rowSources).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it("uses batch-wide defaults under per-request options", async () => {
    const stepper = FakeStepper.hashed(spec, [5, 6]);
    const [a, b] = await generate(stepper, [{ options: { maxNewTokens: 2 } }, {}], {
      numBeams: 1,
      maxNewTokens: 30,
      forcedEosTokenId: undefined,
    });
    expect(a!.tokens.length).toBeLessThanOrEqual(3);
    expect(b).toEqual(await solo(6, { numBeams: 1, maxNewTokens: 30, forcedEosTokenId: undefined }));
  });

  it("returns nothing for no requests, without calling the model", async () => {
    const stepper = FakeStepper.hashed(spec, []);
    expect(await generate(stepper, [])).toEqual([]);
    expect(stepper.calls).toHaveLength(0);
  });

  it("rejects invalid options with an invalid_argument FlorenceError naming the field", async () => {
    const err = await generate(FakeStepper.hashed(spec, [1]), [{ options: { numBeams: 0 } }]).catch((e: unknown) => e);
    expect(isFlorenceError(err) && err.kind).toBe("invalid_argument");
    expect(isFlorenceError(err) && err.violations.map((v) => v.field)).toEqual(["requests[0].options.numBeams"]);
  });
});

describe("generate: cancellation", () => {
  it("drops a cancelled request between steps and lets the others finish", async () => {
    const controller = new AbortController();
    const stepper = FakeStepper.hashed(spec, [5, 6]);
    const requests: DecodeRequest[] = [
      { signal: controller.signal, onToken: (e) => e.position === 3 && controller.abort() },
      {},
    ];
    const [cancelled, other] = await generate(stepper, requests, {
      numBeams: 1,
      maxNewTokens: 12,
      forcedEosTokenId: undefined,
      eosTokenId: 99,
    });
    expect(cancelled!.stopReason).toBe("cancelled");
    expect(cancelled!.tokens).toHaveLength(4);
    expect(other!.tokens).toHaveLength(13);
    expect(stepper.calls.slice(4).every((c) => c.rowRequests.every((r) => r === 1))).toBe(true);
  });

  it("keeps the full result of a request whose abort arrives during its last step", async () => {
    const controller = new AbortController();
    const stepper = FakeStepper.hashed(spec, [5]);
    const [r] = await generate(
      stepper,
      [{ signal: controller.signal, onToken: (e) => e.position === 2 && controller.abort() }],
      {
        numBeams: 1,
        maxNewTokens: 2,
      },
    );
    expect(r!.stopReason).toBe("max_new_tokens");
    expect(r!.tokens).toHaveLength(3);
  });

  it("never runs a request whose signal is already aborted", async () => {
    const stepper = FakeStepper.hashed(spec, [5, 6]);
    const [r] = await generate(stepper, [{ signal: AbortSignal.abort() }, {}], { numBeams: 3, maxNewTokens: 4 });
    expect(r).toEqual({ tokens: [2], logprobs: [], stopReason: "cancelled", sequenceScore: undefined });
    expect(stepper.calls.every((c) => c.rowRequests.every((req) => req === 1))).toBe(true);
  });
});

describe("generate: streaming tokens", () => {
  async function stream(options: Partial<DecodingOptions>, seed: number) {
    const stepper = FakeStepper.hashed(spec, [seed]);
    const events: (TokenEvent & { step: number })[] = [];
    const [r] = await generate(
      stepper,
      [{ onToken: (e) => events.push({ ...e, step: stepper.calls.length }) }],
      options,
    );
    return { r: r!, events, steps: stepper.calls.length };
  }

  it("greedy reports every token right after the step that chose it", async () => {
    const { r, events } = await stream({ numBeams: 1, maxNewTokens: 10 }, 5);
    expect(events.map((e) => e.id)).toEqual(r.tokens.slice(1));
    expect(events.map((e) => e.logprob)).toEqual(r.logprobs);
    expect(events.map((e) => e.step)).toEqual(events.map((_, i) => i + 1));
  });

  it.each([
    [3, 11],
    [3, 12],
    [2, 13],
    [4, 14],
  ])("beam search (K=%i, seed %i) reports only final tokens, in order, and all of them", async (numBeams, seed) => {
    const { r, events, steps } = await stream({ numBeams, maxNewTokens: 16, earlyStopping: false }, seed);
    expect(events.map((e) => e.position)).toEqual(r.tokens.slice(1).map((_, i) => i + 1));
    expect(events.map((e) => e.id)).toEqual(r.tokens.slice(1));
    expect(events.map((e) => e.logprob)).toEqual(r.logprobs);
    // The forced BOS is final as soon as it is chosen (every beam starts with it).
    expect(events[0]).toMatchObject({ id: 0, step: 1 });
    expect(events.at(-1)!.step).toBe(steps);
  });
});

describe("capAtPositions", () => {
  it.each([
    ["no limit known", 5000, 0, undefined, undefined],
    ["fits the positions", 1024, 0, 1024, undefined],
    ["one past the positions", 1025, 0, 1024, { maxNewTokens: 1024, minNewTokens: 0 }],
    ["min_new_tokens capped with it", 4096, 4096, 1024, { maxNewTokens: 1024, minNewTokens: 1024 }],
  ] as const)("%s", (_name, maxNewTokens, minNewTokens, positions, expected) => {
    const capped = capAtPositions(makeDecodingOptions({ maxNewTokens, minNewTokens }), positions);
    expect(
      capped === undefined ? undefined : { maxNewTokens: capped.maxNewTokens, minNewTokens: capped.minNewTokens },
    ).toEqual(expected);
  });
});
