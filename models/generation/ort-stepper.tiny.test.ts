/**
 * The ORT stepper on the real tiny Florence-2 graphs (test/fixtures/tiny): the cached decoder must
 * give the logits of a no-cache recomputation of each row's whole prefix, through beam reorders,
 * and batching must not change any request's result.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Encoded,
  loadTiny,
  noCacheLogits,
  randomEncoded,
  stackEncoded,
  type TinySessions,
  tinyAvailable,
} from "../../test/support/tiny-model.js";
import { generate } from "./batch-decoder.js";
import type { DecodingOptions } from "./decoding-options.js";
import { createOrtDecoderStepper } from "./ort-stepper.js";
import type { DecoderStepInput, DecoderStepper, StepLogits } from "./types.js";

function stepperFor(s: TinySessions, encoded: readonly Encoded[]): DecoderStepper {
  const { hiddenStates, attentionMask } = stackEncoded(encoded);
  return createOrtDecoderStepper({
    embedTokens: s.embed,
    decoder: s.decoder,
    encoderHiddenStates: hiddenStates,
    encoderAttentionMask: attentionMask,
  });
}

/** Wraps a stepper, rebuilding every row's prefix and keeping each step's logits copy for checks. */
class Recorder implements DecoderStepper {
  prefixes: number[][] = [];
  readonly steps: { prefixes: number[][]; requests: readonly number[]; logits: Float32Array; vocab: number }[] = [];
  constructor(readonly inner: DecoderStepper) {}
  async step(input: DecoderStepInput): Promise<StepLogits> {
    const prev = this.prefixes;
    this.prefixes = input.tokens.map((t, r) => [
      ...(input.rowSources === undefined ? [] : prev[input.rowSources[r]!]!),
      t,
    ]);
    const out = await this.inner.step(input);
    this.steps.push({
      prefixes: this.prefixes,
      requests: input.rowRequests,
      logits: out.data.slice(),
      vocab: out.vocabSize,
    });
    return out;
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe.skipIf(!tinyAvailable)(
  "OrtDecoderStepper on the tiny model (skipped when test/fixtures/tiny is not built)",
  () => {
    let s: TinySessions;
    beforeAll(async () => {
      s = await loadTiny();
    });
    afterAll(async () => {
      await s?.release();
    });
    const d = 64;

    it.each([
      ["greedy", { numBeams: 1 }],
      ["beam 3", { numBeams: 3 }],
    ] as const)("%s: cached logits equal a no-cache recomputation of every row's prefix", async (_name, options) => {
      const encoded = [randomEncoded(1, 590, d), randomEncoded(2, 583, d)];
      const recorder = new Recorder(stepperFor(s, encoded));
      await generate(recorder, [{}, {}], {
        ...options,
        maxNewTokens: 6,
        forcedEosTokenId: undefined,
        eosTokenId: 99999,
      });
      expect(recorder.steps).toHaveLength(6);
      for (const step of recorder.steps) {
        for (const [row, prefix] of step.prefixes.entries()) {
          const request = step.requests[row]!;
          const expected = await noCacheLogits(s, encoded[request]!, prefix);
          const got = step.logits.subarray(row * step.vocab, (row + 1) * step.vocab);
          expect(maxAbsDiff(got, expected)).toBeLessThan(1e-4);
        }
      }
    });

    const mixes: [string, Partial<DecodingOptions>[]][] = [
      ["greedy", [{ numBeams: 1 }, { numBeams: 1 }]],
      ["beam 3", [{ numBeams: 3 }, { numBeams: 3 }]],
      [
        "beam 3 + greedy with different lengths",
        [
          { numBeams: 3, maxNewTokens: 9 },
          { numBeams: 1, maxNewTokens: 4 },
        ],
      ],
    ];

    it.each(mixes)("%s: a batch of 2 different requests gives each request its solo result", async (_name, options) => {
      // Different encoder lengths, so the shorter one is padded (mask 0) in the batch.
      const encoded = [randomEncoded(3, 590, d), randomEncoded(4, 581, d)];
      const requests = options.map((o) => ({ options: { maxNewTokens: 12, ...o } }));
      const together = await generate(stepperFor(s, encoded), requests);
      for (const r of [0, 1]) {
        const [alone] = await generate(stepperFor(s, [encoded[r]!]), [requests[r]!]);
        expect(together[r]!.tokens).toEqual(alone!.tokens);
        expect(together[r]!.stopReason).toBe(alone!.stopReason);
        together[r]!.logprobs.forEach((lp, i) => {
          expect(lp).toBeCloseTo(alone!.logprobs[i]!, 4);
        });
      }
      expect(together[0]!.tokens).not.toEqual(together[1]!.tokens);
    });
  },
);

describe.skipIf(!tinyAvailable)(
  "OrtDecoderStepper on the tiny fp16 and quantized graphs (skipped when test/fixtures/tiny is not built)",
  () => {
    // fp16 weights: logits agree to fp16 precision. Dynamically quantized graphs pick activation
    // scales from the whole input, so a 1-token cached step and an L-token recomputation legitimately
    // differ after step 0; there only the first step (identical inputs) is compared.
    it.each([
      ["_fp16", 1e-2, Number.POSITIVE_INFINITY],
      ["_quantized", 1e-4, 1],
    ] as const)(
      "%s: cached beam-3 logits equal a no-cache recomputation (tolerance %s)",
      async (suffix, tolerance, comparedSteps) => {
        const s = await loadTiny(suffix);
        try {
          const encoded = [randomEncoded(5, 585, 64)];
          const recorder = new Recorder(stepperFor(s, encoded));
          const [r] = await generate(recorder, [{}], { numBeams: 3, maxNewTokens: 5 });
          expect(r!.tokens).toHaveLength(6);
          for (const step of recorder.steps.slice(0, comparedSteps)) {
            for (const [row, prefix] of step.prefixes.entries()) {
              const expected = await noCacheLogits(s, encoded[0]!, prefix);
              expect(maxAbsDiff(step.logits.subarray(row * step.vocab, (row + 1) * step.vocab), expected)).toBeLessThan(
                tolerance,
              );
            }
          }
        } finally {
          await s.release();
        }
      },
    );
  },
);
