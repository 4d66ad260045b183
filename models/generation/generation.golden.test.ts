/**
 * Golden decoding on the tiny model: test/fixtures/goldens/generation.json holds, per (image, task),
 * the tokens transformers' native Florence-2 generate() chose in PyTorch, greedy and beam 3.
 * Here the encoder side is rebuilt with ORT (test/support/tiny-model.ts) and decoded with our loop;
 * all tasks of one image run as ONE batch (greedy and beam requests mixed, prompts of different
 * lengths, so the encoder batch is padded), which must not change any result.
 */
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  encode,
  GOLDENS_DIR,
  loadTiny,
  stackEncoded,
  type TinySessions,
  tinyAvailable,
} from "../../test/support/tiny-model.js";
import { generate } from "./batch-decoder.js";
import type { DecodingOptions } from "./decoding-options.js";
import { createOrtDecoderStepper } from "./ort-stepper.js";
import type { DecodeResult } from "./types.js";

interface GoldenCase {
  readonly id: string;
  readonly resized_image: string | null;
  readonly input_ids: number[];
  readonly greedy: { readonly sequence: number[]; readonly logprobs: number[]; readonly forced: boolean[] };
  readonly beam: { readonly sequence: number[]; readonly transition_scores: number[]; readonly sequence_score: number };
}

interface GoldenDoc {
  readonly settings: {
    readonly max_new_tokens: number;
    readonly no_repeat_ngram_size: number;
    readonly beam: { readonly num_beams: number; readonly early_stopping: boolean; readonly length_penalty: number };
  };
  readonly cases: GoldenCase[];
}

const goldenPath = `${GOLDENS_DIR}/generation.json`;
const available = tinyAvailable && existsSync(goldenPath);
const doc: GoldenDoc | undefined = available ? (JSON.parse(readFileSync(goldenPath, "utf8")) as GoldenDoc) : undefined;

/** Cases grouped by image (the stem of resized_image); cases without a resized image cannot be encoded here. */
function byImage(cases: readonly GoldenCase[]): Map<string, GoldenCase[]> {
  const groups = new Map<string, GoldenCase[]>();
  for (const c of cases) {
    if (c.resized_image === null) continue;
    const stem = c.resized_image.replace(/^.*\//, "").replace(/\.png$/, "");
    groups.set(stem, [...(groups.get(stem) ?? []), c]);
  }
  return groups;
}

describe.skipIf(!available)(
  "tiny-model goldens: greedy and beam-3 tokens of transformers' generate() (skipped until generation.json exists)",
  () => {
    let s: TinySessions;
    beforeAll(async () => {
      s = await loadTiny();
    });
    afterAll(async () => {
      await s?.release();
    });

    const groups = doc === undefined ? [] : [...byImage(doc.cases)];

    it("has cases for several images", () => {
      expect(groups.length).toBeGreaterThan(1);
    });

    it.each(groups)("%s: every task, greedy and beam 3, in one batch", async (image, cases) => {
      const settings = doc!.settings;
      const common: Partial<DecodingOptions> = {
        maxNewTokens: settings.max_new_tokens,
        noRepeatNgramSize: settings.no_repeat_ngram_size,
      };
      const beam: Partial<DecodingOptions> = {
        numBeams: settings.beam.num_beams,
        earlyStopping: settings.beam.early_stopping,
        lengthPenalty: settings.beam.length_penalty,
      };
      const encoded = [];
      for (const c of cases) encoded.push(await encode(s, image, c.input_ids));
      // Rows 0..n-1 greedy, n..2n-1 beam, each with its case's encoder states.
      const { hiddenStates, attentionMask } = stackEncoded([...encoded, ...encoded]);
      const stepper = createOrtDecoderStepper({
        embedTokens: s.embed,
        decoder: s.decoder,
        encoderHiddenStates: hiddenStates,
        encoderAttentionMask: attentionMask,
      });
      const requests = [
        ...cases.map(() => ({ options: { ...common, numBeams: 1 } })),
        ...cases.map(() => ({ options: { ...common, ...beam } })),
      ];
      const results = await generate(stepper, requests);
      const greedy = results.slice(0, cases.length);
      const beams = results.slice(cases.length);

      const mismatches: string[] = [];
      cases.forEach((c, i) => {
        if (!sameTokens(greedy[i]!, c.greedy.sequence))
          mismatches.push(`${c.id} greedy: got ${greedy[i]!.tokens} want ${c.greedy.sequence}`);
        if (!sameTokens(beams[i]!, c.beam.sequence))
          mismatches.push(`${c.id} beam: got ${beams[i]!.tokens} want ${c.beam.sequence}`);
      });
      expect(mismatches).toEqual([]);

      // Log-probs: ORT float32 (vision encoder included) vs PyTorch float32 differ by up to ~1e-3 on
      // this random model, whose logits are large; the token choices above are the exact check.
      let worst = 0;
      cases.forEach((c, i) => {
        // Greedy: the golden log-probs are of the model distribution, also at forced steps, where ours are 0.
        greedy[i]!.logprobs.forEach((lp, t) => {
          if (!c.greedy.forced[t]) worst = Math.max(worst, Math.abs(lp - c.greedy.logprobs[t]!));
          else expect(lp).toBe(0);
        });
        beams[i]!.logprobs.forEach((lp, t) => {
          worst = Math.max(worst, Math.abs(lp - c.beam.transition_scores[t]!));
        });
        worst = Math.max(worst, Math.abs(beams[i]!.sequenceScore! - c.beam.sequence_score));
      });
      expect(worst).toBeLessThan(3e-3);
    });
  },
);

interface FirstStepDoc {
  readonly tolerance: { readonly abs: number };
  readonly inputs: { readonly resized_image: string; readonly input_ids: number[] };
  readonly logits: { readonly all: number[]; readonly argmax: number };
  readonly cached_steps: {
    readonly input_token: number;
    readonly argmax: number;
    readonly first_50: number[];
    readonly top10: [number, number][];
  }[];
}

const firstStepPath = `${GOLDENS_DIR}/first-step-logits.json`;

describe.skipIf(!tinyAvailable || !existsSync(firstStepPath))(
  "tiny-model first decoder steps (skipped until first-step-logits.json exists)",
  () => {
    it("step 0 and three cached steps give the reference logits", async () => {
      const golden = JSON.parse(readFileSync(firstStepPath, "utf8")) as FirstStepDoc;
      const s = await loadTiny();
      try {
        const image = golden.inputs.resized_image.replace(/^.*\//, "").replace(/\.png$/, "");
        const { hiddenStates, attentionMask } = stackEncoded([await encode(s, image, golden.inputs.input_ids)]);
        const stepper = createOrtDecoderStepper({
          embedTokens: s.embed,
          decoder: s.decoder,
          encoderHiddenStates: hiddenStates,
          encoderAttentionMask: attentionMask,
        });
        const tol = golden.tolerance.abs;
        const first = await stepper.step({ tokens: [2], rowSources: undefined, rowRequests: [0] });
        expect(first.vocabSize).toBe(golden.logits.all.length);
        golden.logits.all.forEach((v, i) => {
          expect(Math.abs(first.data[i]! - v)).toBeLessThan(tol);
        });
        expect(argmaxOf(first.data)).toBe(golden.logits.argmax);
        for (const step of golden.cached_steps) {
          const { data } = await stepper.step({ tokens: [step.input_token], rowSources: [0], rowRequests: [0] });
          step.first_50.forEach((v, i) => {
            expect(Math.abs(data[i]! - v)).toBeLessThan(tol);
          });
          for (const [id, v] of step.top10) expect(Math.abs(data[id]! - v)).toBeLessThan(tol);
          expect(argmaxOf(data)).toBe(step.argmax);
        }
      } finally {
        await s.release();
      }
    });
  },
);

function argmaxOf(data: Float32Array): number {
  let best = 0;
  for (let i = 1; i < data.length; i++) if (data[i]! > data[best]!) best = i;
  return best;
}

function sameTokens(r: DecodeResult, golden: readonly number[]): boolean {
  return r.tokens.length === golden.length && r.tokens.every((t, i) => t === golden[i]);
}
