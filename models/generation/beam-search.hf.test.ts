/**
 * Replays Hugging Face transformers' own generate() (beam search and greedy) on a fake hashed model:
 * test/fixtures/generation/beam-cases.json is written by tools/reference/make_beam_cases.py from HF's
 * real code, and the fake stepper here computes bit-identical logits. Sequences must match exactly; scores and
 * per-token log-probs to float32 rounding.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type FakeModelSpec, FakeStepper } from "../../test/support/generation/fake-stepper.js";
import { generate } from "./batch-decoder.js";
import type { EarlyStopping } from "./decoding-options.js";

interface HfCase {
  readonly name: string;
  readonly model: FakeModelSpec;
  readonly seeds: number[];
  readonly params: {
    readonly numBeams: number;
    readonly maxNewTokens: number;
    readonly earlyStopping: EarlyStopping;
    readonly lengthPenalty: number;
    readonly noRepeatNgramSize: number;
    readonly forcedBos: boolean;
    readonly forcedEos: boolean;
  };
  readonly expected: { readonly tokens: number[]; readonly score?: number; readonly logprobs: number[] }[];
}

const doc = JSON.parse(
  readFileSync(new URL("../../test/fixtures/generation/beam-cases.json", import.meta.url), "utf8"),
) as { cases: HfCase[] };

describe("generate() reproduces HF transformers on a fake model", () => {
  it("has cases", () => {
    expect(doc.cases.length).toBeGreaterThan(20);
  });

  it.each(doc.cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const stepper = FakeStepper.hashed(c.model, c.seeds);
    const p = c.params;
    const results = await generate(
      stepper,
      c.seeds.map(() => ({})),
      {
        numBeams: p.numBeams,
        maxNewTokens: p.maxNewTokens,
        earlyStopping: p.earlyStopping,
        lengthPenalty: p.lengthPenalty,
        noRepeatNgramSize: p.noRepeatNgramSize,
        forcedBosTokenId: p.forcedBos ? 0 : undefined,
        forcedEosTokenId: p.forcedEos ? 2 : undefined,
      },
    );
    expect(results.map((r) => r.tokens)).toEqual(c.expected.map((e) => e.tokens));
    results.forEach((r, i) => {
      const e = c.expected[i]!;
      expect(r.logprobs).toHaveLength(e.logprobs.length);
      r.logprobs.forEach((lp, t) => {
        expect(lp).toBeCloseTo(e.logprobs[t]!, 5);
      });
      if (e.score !== undefined) expect(r.sequenceScore).toBeCloseTo(e.score, 5);
    });
  });
});
